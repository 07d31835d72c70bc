"""The demo organisation: seeded once for this module (inside a transaction rolled back at the end)."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accountability.catalog.models import (
    Dependency,
    Membership,
    OnCallShift,
    PathOwner,
    Person,
    Service,
    Team,
)
from accountability.changes.ledger import ledger_verify
from accountability.changes.models import (
    AIProvenance,
    Change,
    Commit,
    Deployment,
    Evidence,
    RollbackPlan,
    SignOff,
)
from accountability.devtools.demo.seed import demo_seed
from accountability.incidents.models import Incident, IncidentEvent

pytestmark = pytest.mark.django_db

MODELS = [
    Team,
    Person,
    Membership,
    Service,
    Dependency,
    OnCallShift,
    PathOwner,
    Change,
    Commit,
    AIProvenance,
    Evidence,
    RollbackPlan,
    Deployment,
    SignOff,
    Incident,
    IncidentEvent,
    get_user_model(),
]
CAUSE = re.compile(r"^Suspected cause: (?P<slug>[a-z0-9-]+)@(?P<sha>[0-9a-f]{7})$")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield {"output": out.getvalue()}
        transaction.set_rollback(True)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def upstream(slugs, hops=3):
    edges = {}
    for source, target in Dependency.objects.values_list("from_service__slug", "to_service__slug"):
        edges.setdefault(source, []).append(target)
    seen, frontier = set(slugs), list(slugs)
    for _ in range(hops):
        frontier = [t for s in frontier for t in edges.get(s, []) if t not in seen]
        seen.update(frontier)
    return seen


def test_it_says_what_it_loaded_and_how_to_log_in(seeded):
    # How long it took is printed, not asserted: DESIGN §16 keeps timings out of unit tests.
    assert re.search(
        r"Demo organisation loaded in [0-9.]+s: 17 teams, 124 people, 93 services", seeded["output"]
    )
    for login in ("admin", "manager", "owner", "commander"):
        assert f"  {login} " in seeded["output"]


def test_it_builds_teams_and_people(seeded):
    assert Team.objects.count() >= 12
    assert Team.objects.filter(parent__isnull=False).count() >= 3
    assert Person.objects.count() >= 100
    assert not Person.objects.filter(Q(github_login="") | Q(pagerduty_user_id="")).exists()
    departed = Person.objects.filter(is_active=False)
    assert departed.count() >= 3
    assert not departed.filter(departed_at__isnull=True).exists()
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"member", "lead", "manager"}


def test_it_builds_services_across_tiers_kinds_and_sensitivities(seeded):
    assert Service.objects.count() >= 80
    assert set(Service.objects.values_list("tier", flat=True)) == {1, 2, 3, 4}
    assert {"service", "datastore", "website"} <= set(Service.objects.values_list("kind", flat=True))
    assert Service.objects.filter(customer_facing=True).count() >= 10
    assert {"personal", "payments"} <= set(Service.objects.values_list("data_sensitivity", flat=True))
    with_default_plan = Service.objects.filter(default_rollback_plan__isnull=False).count()
    assert 0 < with_default_plan < Service.objects.count()


def test_it_builds_a_layered_dependency_graph(seeded):
    kinds = set(Dependency.objects.values_list("kind", "criticality"))
    assert {("sync", "hard"), ("sync", "soft"), ("async", "soft"), ("datastore", "hard")} <= kinds
    website = Service.objects.get(slug="www-storefront")
    assert "storefront-api" in upstream(["www-storefront"], hops=1)
    assert any(
        Service.objects.get(slug=slug).kind == "datastore" for slug in upstream([website.slug], hops=3)
    )
    shared = Service.objects.filter(kind="datastore").annotate(users=Count("dependents")).filter(users__gte=3)
    assert shared.exists()

    unknown = Service.objects.filter(dependencies_known=False)
    assert unknown.count() >= 3
    assert not Dependency.objects.filter(Q(from_service__in=unknown) | Q(to_service__in=unknown)).exists()

    edges = set(Dependency.objects.values_list("from_service__slug", "to_service__slug"))
    assert any((target, source) in edges for source, target in edges), "expected one small cycle"


def test_it_exercises_the_ownership_gaps_of_services(seeded):
    assert Service.objects.filter(owner_team__isnull=True).exists()
    assert Service.objects.filter(owner_team__isnull=False, owner_of_record__isnull=True).exists()
    assert Service.objects.filter(owner_of_record__is_active=False).exists()
    stale = timezone.now() - timedelta(days=90)
    unconfirmed = Service.objects.filter(Q(ownership_confirmed_at__lt=stale) | Q(ownership_confirmed_at=None))
    never_signed_by_owner = [
        s
        for s in unconfirmed
        if not SignOff.objects.filter(change__service=s, signer=s.owner_of_record).exists()
    ]
    assert len(never_signed_by_owner) >= 3

    drift = 0
    for service in Service.objects.filter(owner_team__isnull=False):
        catch_all = PathOwner.objects.filter(repository=service.repositories[0], pattern="*").first()
        if catch_all and catch_all.owners != [f"@acme/{service.owner_team.slug}"]:
            drift += 1
    assert drift >= 1


def test_it_leaves_a_tier_one_owning_team_without_on_call_in_the_next_week(seeded):
    now = timezone.now()
    week = now + timedelta(days=7)
    teams = Team.objects.filter(services__tier=1).distinct()
    holes = []
    for team in teams:
        covered_until = now
        for start, end in (
            team.shifts.filter(end__gt=now, start__lt=week).order_by("start").values_list("start", "end")
        ):
            if start > covered_until:
                break
            covered_until = max(covered_until, end)
        if covered_until < week:
            holes.append(team.slug)
    assert holes
    assert len(holes) < teams.count()


def test_it_covers_the_past_90_days_and_the_next_14_with_rotas(seeded):
    now = timezone.now()
    assert OnCallShift.objects.filter(start__lte=now - timedelta(days=89)).exists()
    assert OnCallShift.objects.filter(end__gte=now + timedelta(days=13)).exists()
    assert set(OnCallShift.objects.values_list("escalation_level", flat=True)) == {1, 2}


def test_it_records_2000_changes_over_90_days(seeded):
    now = timezone.now()
    assert Change.objects.count() == 2000
    assert not Change.objects.filter(merged_at__lt=now - timedelta(days=92)).exists()
    assert Change.objects.filter(merged_at__lt=now - timedelta(days=80)).exists()
    assert Change.objects.filter(merged_at__gt=now - timedelta(days=1)).exists()
    assert Change.objects.filter(touches_schema_migration=True).count() >= 50
    assert Commit.objects.count() > Change.objects.count()


def test_it_records_nothing_in_the_future_but_rotas(seeded):
    now = timezone.now()
    assert not Change.objects.filter(merged_at__gt=now).exists()
    assert not Evidence.objects.filter(at__gt=now).exists()
    assert not Deployment.objects.filter(Q(started_at__gt=now) | Q(finished_at__gt=now)).exists()
    assert not SignOff.objects.filter(created_at__gt=now).exists()
    assert not IncidentEvent.objects.filter(at__gt=now).exists()
    assert not Incident.objects.filter(Q(started_at__gt=now) | Q(resolved_at__gt=now)).exists()


def test_it_writes_commit_messages_with_real_trailers(seeded):
    messages = Commit.objects.values_list("message", flat=True)
    for needle in (
        "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
        "Assisted-by: Claude:claude-sonnet-4-5",
        "Generated with [Claude Code]",
        "Co-authored-by: dependabot[bot]",
    ):
        assert messages.filter(message__contains=needle).exists(), needle


def test_it_gives_every_change_a_provenance_of_every_level(seeded):
    assert AIProvenance.objects.count() == Change.objects.count()
    levels = set(AIProvenance.objects.values_list("level", flat=True))
    assert levels == {"none", "assisted", "majority", "generated", "unknown"}
    assert not AIProvenance.objects.filter(level="unknown", ai_share__isnull=False).exists()
    line_level = AIProvenance.objects.filter(confidence="line_level", level__in=["assisted", "majority"])
    assert line_level.exclude(ai_lines={}).count() == line_level.count() > 0
    example = line_level.first().ai_lines
    assert all(
        isinstance(start, int) and end >= start for ranges in example.values() for start, end in ranges
    )
    assert AIProvenance.objects.filter(level="generated", drivers__isnull=False).exists()
    dependabot = AIProvenance.objects.filter(change__author_logins=["dependabot[bot]"])
    assert dependabot.exists()
    assert set(dependabot.values_list("level", flat=True)) == {"unknown"}


def test_it_records_evidence_of_every_kind_with_weak_spots(seeded):
    assert set(Evidence.objects.values_list("kind", flat=True)) == set(Evidence.Kind.values)
    assert Evidence.objects.filter(result="failed").exists()
    assert Evidence.objects.filter(result="warned").exists()
    assert Evidence.objects.filter(kind="ci_tests", url="").exists()
    self_reviews = [
        e
        for e in Evidence.objects.filter(kind="human_review").select_related("change")
        if e.actor_login in e.change.author_logins
    ]
    assert self_reviews


def test_it_leaves_rollback_plans_missing_unrehearsed_and_irreversible(seeded):
    no_plan = Change.objects.filter(rollback_plan__isnull=True, service__default_rollback_plan__isnull=True)
    assert no_plan.exists()
    irreversible = RollbackPlan.objects.filter(
        change__touches_schema_migration=True, data_reversible=False, last_rehearsed_at__isnull=True
    )
    assert irreversible.exists()


def test_it_deploys_to_staging_and_production_with_every_outcome(seeded):
    pairs = set(Deployment.objects.values_list("environment", "status"))
    for status in ("succeeded", "failed", "rolled_back", "in_progress", "queued"):
        assert ("production", status) in pairs
    assert ("staging", "succeeded") in pairs
    assert 1 <= Deployment.objects.filter(status="in_progress").count() <= 3


def test_it_appends_sign_offs_through_a_verifying_ledger(seeded):
    result = ledger_verify()
    assert result.ok
    assert result.checked == SignOff.objects.count() > 500
    assert SignOff.objects.filter(decision="revoke", revokes__isnull=False).exists()
    assert SignOff.objects.filter(policy_decision="deny").exclude(override_reason="").exists()
    outsiders = [
        s
        for s in SignOff.objects.filter(decision="approve").select_related("change__service")
        if not Membership.objects.filter(
            person_id=s.signer_id, team_id=s.change.service.owner_team_id
        ).exists()
    ]
    assert outsiders
    unsigned = Change.objects.filter(
        service__tier__lte=2, deployments__environment="production", deployments__status="succeeded"
    ).exclude(signoffs__decision="approve")
    assert unsigned.exists()


def test_it_has_a_tier_one_service_signed_by_one_person_only(seeded):
    single = (
        Service.objects.filter(tier__lte=2)
        .annotate(
            signers=Count("changes__signoffs__signer", distinct=True), signed=Count("changes__signoffs")
        )
        .filter(signers=1, signed__gte=5)
    )
    assert single.exists()
    varied = Service.objects.filter(tier__lte=2).annotate(
        signers=Count("changes__signoffs__signer", distinct=True)
    )
    assert varied.filter(signers__gte=2).count() > 20


def test_it_raises_40_incidents_with_timelines(seeded):
    assert Incident.objects.count() == 40
    open_incidents = Incident.objects.exclude(status="resolved")
    assert 3 <= open_incidents.count() <= 4
    assert not Incident.objects.filter(status="resolved", resolved_at__isnull=True).exists()
    assert set(Incident.objects.values_list("severity", flat=True)) >= {"SEV1", "SEV2", "SEV3"}
    assert not Incident.objects.filter(services__isnull=True).exists()
    assert not Incident.objects.annotate(events=Count("timeline")).filter(events__lt=2).exists()
    assert IncidentEvent.objects.filter(kind="triggered").count() == 40


def test_it_annotates_most_incidents_with_a_cause_deployed_just_before(seeded):
    annotations = IncidentEvent.objects.filter(kind="annotated", summary__startswith="Suspected cause:")
    assert annotations.count() >= 30
    for annotation in annotations.select_related("incident"):
        incident = annotation.incident
        match = CAUSE.match(annotation.summary)
        assert match, annotation.summary
        cause = Change.objects.get(service__slug=match["slug"], sha__startswith=match["sha"])
        affected = list(incident.services.values_list("slug", flat=True))
        area = upstream(affected)
        assert cause.service.slug in upstream(affected, hops=1)

        deployment = cause.deployments.get(environment="production")
        before = incident.started_at - deployment.finished_at
        assert timedelta(minutes=20) <= before <= timedelta(minutes=90)
        provenance = cause.provenance
        unreviewed = not cause.evidence.filter(kind="human_review").exists()
        assert provenance.level == "generated" or unreviewed or cause.touches_schema_migration

        others = Deployment.objects.filter(environment="production", change__service__slug__in=area).exclude(
            change=cause
        )
        closer = others.filter(
            finished_at__gte=incident.started_at - timedelta(hours=6), finished_at__lte=incident.started_at
        )
        assert not closer.exists(), f"{incident}: {list(closer)}"
        if incident.status != "resolved":
            assert not others.filter(status="in_progress").exists()


def test_it_gives_the_owner_changes_waiting_for_sign_off(seeded):
    owner = Person.objects.get(user__username="owner")
    service = Service.objects.get(slug="payments-api")
    assert service.owner_of_record == owner
    assert service.tier == 1
    assert Membership.objects.filter(person=owner, team=service.owner_team).exists()
    waiting = Change.objects.filter(
        service=service, deployments__environment="production", signoffs__isnull=True
    ).filter(Q(deployments__status="queued") | Q(merged_at__gte=timezone.now() - timedelta(hours=8)))
    assert waiting.distinct().count() >= 2
    assert waiting.filter(provenance__level="generated").exists()
    # The rest of the service's history has more than one signer, so it is not a single point.
    assert SignOff.objects.filter(change__service=service).values("signer").distinct().count() >= 2


def test_it_puts_the_commander_on_call_now(seeded):
    commander = Person.objects.get(user__username="commander")
    now = timezone.now()
    assert OnCallShift.objects.filter(person=commander, start__lte=now, end__gt=now).exists()
    assert Incident.objects.exclude(status="resolved").filter(commander=commander).exists()


@pytest.mark.parametrize(
    ("username", "group"),
    [("admin", "admin"), ("manager", "viewer"), ("owner", "owner"), ("commander", "commander")],
)
def test_it_lets_the_demo_users_log_in(seeded, client, username, group):
    user = get_user_model().objects.get(username=username)
    assert list(user.groups.values_list("name", flat=True)) == [group]
    assert user.is_superuser == (username == "admin")

    response = client.post(reverse("login"), {"username": username, "password": settings.DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def fingerprint():
    """Everything a user would see of the organisation, without database ids."""
    rows = [
        Service.objects.order_by("slug").values_list(
            "slug", "tier", "owner_team__slug", "owner_of_record__name"
        ),
        Dependency.objects.order_by("from_service__slug", "to_service__slug").values_list(
            "from_service__slug", "to_service__slug", "kind", "criticality"
        ),
        Person.objects.order_by("github_login").values_list("github_login", "name", "departed_at"),
        OnCallShift.objects.order_by("team__slug", "start", "escalation_level").values_list(
            "team__slug", "person__github_login", "start", "end"
        ),
        Change.objects.order_by("sha").values_list(
            "service__slug", "sha", "title", "merged_at", "provenance__level"
        ),
        Evidence.objects.order_by("change__sha", "at", "kind").values_list(
            "change__sha", "kind", "result", "at"
        ),
        Deployment.objects.order_by("change__sha", "environment", "started_at").values_list(
            "change__sha", "environment", "status", "finished_at"
        ),
        SignOff.objects.order_by("id").values_list(
            "change__sha", "signer__github_login", "decision", "created_at", "delegate__github_login"
        ),
        IncidentEvent.objects.order_by("incident__started_at", "at", "kind").values_list(
            "incident__external_id", "kind", "summary", "at"
        ),
    ]
    return [list(queryset) for queryset in rows]


def demo_reset():
    with connection.cursor() as cursor:
        # TRUNCATE refuses while deferred foreign-key checks of this transaction are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The cascade reaches the ledger, whose triggers refuse TRUNCATE: off for this statement only.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "TRUNCATE catalog_pathowner, catalog_team, catalog_person, catalog_service, auth_user CASCADE"
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_it_builds_the_same_organisation_from_the_same_seed_and_hour(seeded):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    demo_reset()
    demo_seed(seed=2026, now=hour)
    first = fingerprint()
    demo_reset()
    demo_seed(seed=2026, now=hour)

    assert fingerprint() == first
    assert len(first[4]) == 2000


def test_it_changes_nothing_when_run_again(seeded):
    before = counts()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert counts() == before
    assert "already loaded; nothing changed" in out.getvalue()
    assert ledger_verify().ok


def test_it_does_nothing_at_all_with_if_empty_on_a_populated_database(seeded):
    before = counts()
    out = StringIO()

    call_command("seed_demo", "--if-empty", stdout=out)

    assert counts() == before
    assert "Teams already exist" in out.getvalue()


def test_it_loads_nothing_when_real_data_collides_with_the_demo(seeded):
    demo_reset()
    Team.objects.create(name="Payments (imported)", slug="payments", record_source="backstage")

    with pytest.raises(CommandError, match="collides with data already in this database"):
        call_command("seed_demo", stdout=StringIO())

    assert list(Team.objects.values_list("slug", flat=True)) == ["payments"]
    assert Service.objects.count() == 0
    assert get_user_model().objects.count() == 0
