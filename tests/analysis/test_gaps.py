"""Ownership gaps (DESIGN §9): found, kept open, resolved, acknowledged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.gaps import gap_acknowledge, gaps_scan_all, gaps_scan_change, gaps_scan_service
from accountability.analysis.models import Gap
from accountability.audit.models import AuditEvent
from accountability.changes.models import AIProvenance, Evidence
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    EvidenceFactory,
    MembershipFactory,
    OnCallShiftFactory,
    PathOwnerFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    SignOffFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def open_codes(**subject):
    return set(Gap.objects.filter(resolved_at__isnull=True, **subject).values_list("code", flat=True))


def cared_for_service(**fields):
    """A tier 1 service with a confirmed owner, a team on call and CODEOWNERS naming the team."""
    fields.setdefault("ownership_confirmed_at", timezone.now())
    service = ServiceFactory(tier=1, **fields)
    OnCallShiftFactory(team=service.owner_team)
    PathOwnerFactory(repository=service.repositories[0], owners=[f"@acme/{service.owner_team.slug}"])
    return service


def test_it_opens_keeps_and_resolves_a_departed_owner_gap():
    service = cared_for_service()
    owner = service.owner_of_record
    owner.is_active = False
    owner.departed_at = timezone.now() - timedelta(days=3)
    owner.save()
    first = timezone.now()

    gaps_scan_service(service_id=service.id, now=first)
    gap = Gap.objects.get(code=Gap.Code.OWNER_DEPARTED)
    assert gap.sentence == f"The owner of record of {service.name}, {owner.name}, has left or is inactive."
    assert (gap.service, gap.person, gap.accountable_team) == (service, owner, service.owner_team)

    later = first + timedelta(hours=1)
    gaps_scan_service(service_id=service.id, now=later)
    gap.refresh_from_db()
    assert (gap.first_seen, gap.last_seen, gap.resolved_at) == (first, later, None)

    service.owner_of_record = PersonFactory()
    service.save()
    gaps_scan_service(service_id=service.id, now=later + timedelta(hours=1))
    gap.refresh_from_db()
    assert gap.resolved_at == later + timedelta(hours=1)
    assert open_codes(service=service) == set()


def test_it_finds_every_service_and_team_condition():
    nobody = ServiceFactory(tier=2, owner_team=None, owner_of_record=None)
    stale = cared_for_service(ownership_confirmed_at=timezone.now() - timedelta(days=120))
    drifted = cared_for_service()
    PathOwnerFactory(repository=drifted.repositories[0], owners=["@acme/someone-else"])
    lonely_team = TeamFactory()
    ServiceFactory(tier=1, owner_team=lonely_team, ownership_confirmed_at=timezone.now())

    gaps_scan_all()

    assert "SERVICE_NO_OWNER" in open_codes(service=nobody)
    assert open_codes(service=stale) == {"OWNERSHIP_STALE"}
    assert "TEAM_NO_ONCALL" in open_codes(team=lonely_team)
    # drifted's catch-all rules name its own team first and another team later: the last one wins.
    assert open_codes(service=drifted) == {"CODEOWNERS_DRIFT"}


def test_it_reports_codeowners_naming_another_team():
    service = ServiceFactory(tier=3, ownership_confirmed_at=timezone.now())
    PathOwnerFactory(repository=service.repositories[0], owners=["@acme/platform"])

    gaps_scan_service(service_id=service.id)

    gap = Gap.objects.get(service=service, code="CODEOWNERS_DRIFT")
    assert (
        gap.sentence == f"CODEOWNERS names @acme/platform for {service.name}, "
        f"not its owning team {service.owner_team.name}."
    )


def test_it_lets_narrower_rules_name_other_teams():
    service = cared_for_service()
    PathOwnerFactory(
        repository=service.repositories[0], pattern="/.github/workflows/", owners=["@acme/devex"]
    )

    gaps_scan_service(service_id=service.id)

    assert open_codes(service=service) == set()


def test_it_counts_overlapping_future_shifts_as_cover_for_the_next_seven_days():
    team = TeamFactory()
    ServiceFactory(tier=1, owner_team=team, ownership_confirmed_at=timezone.now())
    soon = timezone.now() + timedelta(days=2)
    OnCallShiftFactory(team=team, start=soon, end=soon + timedelta(hours=8))
    OnCallShiftFactory(team=team, start=soon + timedelta(hours=4), end=soon + timedelta(hours=12))

    gaps_scan_all()

    assert "TEAM_NO_ONCALL" not in open_codes(team=team)


def production_change(service, **fields):
    change = ChangeFactory(service=service, **fields)
    DeploymentFactory(change=change)
    return change


def test_it_finds_the_change_gaps_of_a_production_change():
    service = cared_for_service()
    outsider = PersonFactory()
    change = production_change(service)
    AIProvenanceFactory(change=change, level=AIProvenance.Level.GENERATED)
    RollbackPlanFactory(change=change, data_reversible=False)
    SignOffFactory(
        change=change, signer=outsider, override_reason="Customer deadline", policy_decision="deny"
    )
    unsigned = production_change(service)
    ChangeFactory(service=service)  # merged, never deployed: not a production change

    gaps_scan_all()

    assert open_codes(change=change) == {
        "SIGNER_NOT_ACCOUNTABLE",
        "AI_CHANGE_UNREVIEWED",
        "AI_CHANGE_UNVERIFIED",
        "ROLLBACK_NEVER_REHEARSED",
        "POLICY_OVERRIDDEN",
    }
    assert open_codes(change=unsigned) == {"UNSIGNED_PRODUCTION_CHANGE", "NO_ROLLBACK_PLAN"}
    assert Gap.objects.filter(change__isnull=False, resolved_at__isnull=True).count() == 7


def test_it_resolves_change_gaps_on_a_targeted_rescan_after_the_fix():
    service = cared_for_service()
    change = production_change(service)
    gaps_scan_change(change_id=change.id)
    assert open_codes(change=change) == {"UNSIGNED_PRODUCTION_CHANGE", "NO_ROLLBACK_PLAN"}

    # The owner signs, is on call through the bake window, and a rollback plan is added.
    SignOffFactory(change=change, signer=service.owner_of_record)
    OnCallShiftFactory(team=service.owner_team, person=service.owner_of_record)
    RollbackPlanFactory(change=change)
    EvidenceFactory(change=change, kind=Evidence.Kind.HUMAN_REVIEW, actor_login="reviewer")
    summary = gaps_scan_change(change_id=change.id)

    assert (summary.opened, summary.resolved) == (0, 2)
    assert open_codes(change=change) == set()
    assert Gap.objects.filter(change=change, resolved_at__isnull=False).count() == 2


def test_it_flags_a_signer_who_was_not_on_call_in_the_bake_window():
    service = cared_for_service()
    teammate = MembershipFactory(team=service.owner_team).person
    change = production_change(service)
    RollbackPlanFactory(change=change)
    SignOffFactory(change=change, signer=teammate)

    gaps_scan_change(change_id=change.id)
    assert open_codes(change=change) == {"SIGNER_NOT_ACCOUNTABLE"}

    OnCallShiftFactory(team=service.owner_team, person=teammate)
    gaps_scan_change(change_id=change.id)
    assert open_codes(change=change) == set()


def test_it_spots_a_single_point_of_ownership():
    service = cared_for_service()
    for _ in range(3):
        SignOffFactory(change=ChangeFactory(service=service), signer=service.owner_of_record)

    gaps_scan_service(service_id=service.id)

    assert open_codes(service=service) == {"SINGLE_POINT_OF_OWNERSHIP"}


def test_it_keeps_an_acknowledged_gap_open_and_visible_and_audits_it():
    service = ServiceFactory(tier=3, owner_team=None, ownership_confirmed_at=timezone.now())
    gaps_scan_service(service_id=service.id)
    gap = Gap.objects.get(code="SERVICE_NO_OWNER")
    manager = UserFactory(username="manager")

    gap_acknowledge(gap=gap, user=manager, note="Team forming next sprint")
    gaps_scan_service(service_id=service.id)

    gap.refresh_from_db()
    assert (gap.resolved_at, gap.acknowledged_by, gap.acknowledgement_note) == (
        None,
        manager,
        "Team forming next sprint",
    )
    assert AuditEvent.objects.get(action="gap.acknowledge").object_id == str(gap.id)
    with pytest.raises(ValueError, match="needs a note"):
        gap_acknowledge(gap=gap, user=manager, note="  ")
