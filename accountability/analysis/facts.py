"""What policy, risk and gaps need to know about a change, loaded for many changes in a few queries.

Policy, risk and the change gaps are pure functions of `ChangeFacts`, which keeps them testable
without a database (the property tests build facts directly) and lets full scans load changes in
batches instead of one query per change.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from accountability.analysis.models import BlastRadius
from accountability.catalog.models import Membership, OnCallShift
from accountability.changes.ledger import signoffs_standing
from accountability.changes.models import AIProvenance, Change, Deployment, Environment, Evidence, SignOff
from accountability.changes.registry import registry_from_file
from accountability.incidents.models import Incident

AI_LEVELS_AT_LEAST_ASSISTED = ("assisted", "majority", "generated")
EXTRA_EVIDENCE_KINDS = (Evidence.Kind.CANARY_ANALYSIS, Evidence.Kind.LOAD_TEST, Evidence.Kind.MANUAL_QA)
BAKE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Approval:
    signoff_id: int
    signer_id: int
    signer_name: str
    at: datetime
    override_reason: str = ""
    policy_decision: str = ""
    delegate_id: int | None = None


@dataclass(frozen=True, slots=True)
class RollbackFacts:
    strategy: str
    data_reversible: bool
    rehearsed_at: datetime | None
    inherited: bool


@dataclass(slots=True)
class ChangeFacts:
    change_id: int
    service_id: int
    service_slug: str = ""
    tier: int = 3
    owner_team_id: int | None = None
    owner_of_record_id: int | None = None
    ai_level: str = AIProvenance.Level.UNKNOWN
    touches_schema_migration: bool = False
    diff_lines: int = 0
    ci_passed: bool = False
    ci_failed: bool = False
    human_review_ok: bool = False
    extra_evidence_ok: bool = False
    rollback: RollbackFacts | None = None
    approval: Approval | None = None
    approval_revoked: bool = False
    signer_in_owning_team: bool = False
    signer_on_call_in_bake: bool | None = None  # None: no production deploy or no approval to judge
    production_deployed_at: datetime | None = None
    deployed_off_hours: bool = False
    blast_radius_score: float | None = None
    blast_radius_unknown: bool = False
    blast_radius_count: int = 0
    recent_incidents: int = 0
    evaluated_at: datetime = field(default_factory=timezone.now)

    @property
    def rehearsed_recently(self) -> bool:
        return bool(
            self.rollback
            and self.rollback.rehearsed_at
            and self.rollback.rehearsed_at >= self.evaluated_at - timedelta(days=90)
        )


def _is_bot(login: str) -> bool:
    login = login.strip().lower()
    if not login:
        return False
    if login.endswith("[bot]"):
        return True
    return registry_from_file().identity(login=login) is not None  # an AI agent or non-AI automation


def _human_review_ok(change: Change, evidence: list[Evidence], provenance: AIProvenance | None) -> bool:
    """A passing human_review counts only from a trusted channel (Evidence.REVIEW_SOURCES) and from a human:
    a catalogued Person, not an author, not an AI driver, not a bot."""
    author_ids = {person.id for person in change.authors.all()}
    outsiders = {login.lower() for login in change.author_logins}
    if provenance is not None:
        outsiders |= {login.lower() for login in provenance.driver_logins}
    for item in evidence:
        if item.kind != Evidence.Kind.HUMAN_REVIEW or item.result != Evidence.Result.PASSED:
            continue
        if item.source not in Evidence.REVIEW_SOURCES:
            continue  # a pipeline's claim that somebody reviewed, not the code host's record
        if item.recorded_by_id is None:
            continue  # a login nobody catalogued is not known to be a human, nor not an author
        if item.recorded_by_id is not None and item.recorded_by_id in author_ids:
            continue
        if item.actor_login and (item.actor_login.lower() in outsiders or _is_bot(item.actor_login)):
            continue
        return True
    return False


def _ci_state(change: Change, evidence: list[Evidence]) -> tuple[bool, bool]:
    """(passed, failed) from the latest ci_tests result for the deployed sha (or the whole change)."""
    runs = [item for item in evidence if item.kind == Evidence.Kind.CI_TESTS and item.sha in ("", change.sha)]
    if not runs:
        return False, False
    latest = max(runs, key=lambda item: (item.at, item.id))
    return latest.result == Evidence.Result.PASSED, latest.result == Evidence.Result.FAILED


def _standing_approval(
    change: Change, signoffs: list[SignOff], team_members: set[int]
) -> tuple[Approval | None, bool]:
    """The approval that counts (owner of record first, then a team member, then the latest) and
    whether an approval existed but was revoked."""
    standing = signoffs_standing(signoffs)
    if not standing:
        return None, any(entry.decision == SignOff.Decision.APPROVE for entry in signoffs)
    owner_id = change.service.owner_of_record_id

    def preference(entry: SignOff) -> tuple[int, int]:
        if entry.signer_id == owner_id:
            return (0, -entry.id)
        return (1 if entry.signer_id in team_members else 2, -entry.id)

    chosen = min(standing, key=preference)
    return (
        Approval(
            signoff_id=chosen.id,
            signer_id=chosen.signer_id,
            signer_name=chosen.signer.name,
            at=chosen.created_at,
            override_reason=chosen.override_reason,
            policy_decision=chosen.policy_decision,
            delegate_id=chosen.delegate_id,
        ),
        False,
    )


def _off_hours(at: datetime) -> bool:
    # Teams carry no time zone yet, so working hours are 08:00-18:00 UTC, Monday to Friday.
    return at.weekday() >= 5 or not 8 <= at.hour < 18


def change_facts_load(*, change_ids: list[int], now: datetime | None = None) -> dict[int, ChangeFacts]:
    """Facts for each change, in a fixed number of queries whatever the number of changes.

    1. Load the changes with service, provenance and plans joined, and their evidence, sign-offs,
       authors and production deployments prefetched; the blast radius summaries on their own.
    2. Load the memberships of every signer (owning-team check) and their on-call shifts around the
       bake windows (24 h after the first production deploy).
    3. Count each service's incidents of the last 30 days.
    4. Assemble one ChangeFacts per change.
    """
    now = now or timezone.now()
    changes = list(
        Change.objects.filter(id__in=change_ids)
        .select_related(
            "service",
            "service__default_rollback_plan",
            "provenance",
            "rollback_plan",
        )
        .prefetch_related(
            "evidence",
            "authors",
            Prefetch("signoffs", queryset=SignOff.objects.select_related("signer").order_by("id")),
            Prefetch(
                "deployments",
                queryset=Deployment.objects.filter(
                    environment=Environment.PRODUCTION,
                    status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
                ).order_by("finished_at"),
                to_attr="production_deployments",
            ),
        )
    )
    signer_ids = {entry.signer_id for change in changes for entry in change.signoffs.all()}
    signer_ids |= {
        entry.delegate_id for change in changes for entry in change.signoffs.all() if entry.delegate_id
    }
    members_by_team: dict[int, set[int]] = defaultdict(set)
    for person_id, team_id in Membership.objects.filter(person_id__in=signer_ids).values_list(
        "person_id", "team_id"
    ):
        members_by_team[team_id].add(person_id)
    deploy_times = [
        change.production_deployments[0].finished_at
        for change in changes
        if change.production_deployments and change.production_deployments[0].finished_at
    ]
    shifts_by_person: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if deploy_times and signer_ids:
        shifts = OnCallShift.objects.filter(
            person_id__in=signer_ids, start__lt=max(deploy_times) + BAKE_WINDOW, end__gt=min(deploy_times)
        ).values_list("person_id", "start", "end")
        for person_id, start, end in shifts:
            shifts_by_person[person_id].append((start, end))
    # Only the radius' summary: its impacted list is large JSON that facts never read.
    radii = {
        row[0]: row[1:]
        for row in BlastRadius.objects.filter(change_id__in=change_ids).values_list(
            "change_id", "score", "unknown", "impacted_count"
        )
    }
    service_ids = {change.service_id for change in changes}
    incident_counts = dict(
        Incident.services.through.objects.filter(
            service_id__in=service_ids, incident__started_at__gte=now - timedelta(days=30)
        )
        .values("service_id")
        .annotate(n=Count("incident_id", distinct=True))
        .values_list("service_id", "n")
    )

    facts = {}
    for change in changes:
        service = change.service
        evidence = list(change.evidence.all())
        provenance = getattr(change, "provenance", None)
        plan = getattr(change, "rollback_plan", None) or getattr(service, "default_rollback_plan", None)
        rollback = None
        if plan is not None:
            rehearsals = [
                item.at
                for item in evidence
                if item.kind == Evidence.Kind.ROLLBACK_REHEARSAL and item.result == Evidence.Result.PASSED
            ]
            rehearsed_at = max(
                [*rehearsals, *([plan.last_rehearsed_at] if plan.last_rehearsed_at else [])], default=None
            )
            rollback = RollbackFacts(
                strategy=plan.strategy,
                data_reversible=plan.data_reversible,
                rehearsed_at=rehearsed_at,
                inherited=plan.change_id is None,
            )
        team_members = members_by_team.get(service.owner_team_id, set()) if service.owner_team_id else set()
        approval, revoked = _standing_approval(change, list(change.signoffs.all()), team_members)
        ci_passed, ci_failed = _ci_state(change, evidence)
        first_deploy = change.production_deployments[0].finished_at if change.production_deployments else None
        on_call = None
        if approval is not None and first_deploy is not None:
            window = (first_deploy, first_deploy + BAKE_WINDOW)
            people = {approval.signer_id} | ({approval.delegate_id} if approval.delegate_id else set())
            on_call = any(
                start < window[1] and end > window[0]
                for person in people
                for start, end in shifts_by_person[person]
            )
        radius = radii.get(change.id)
        facts[change.id] = ChangeFacts(
            change_id=change.id,
            service_id=service.id,
            service_slug=service.slug,
            tier=service.tier,
            owner_team_id=service.owner_team_id,
            owner_of_record_id=service.owner_of_record_id,
            ai_level=provenance.level if provenance else AIProvenance.Level.UNKNOWN,
            touches_schema_migration=change.touches_schema_migration,
            diff_lines=change.additions + change.deletions,
            ci_passed=ci_passed,
            ci_failed=ci_failed,
            human_review_ok=_human_review_ok(change, evidence, provenance),
            extra_evidence_ok=any(
                item.kind in EXTRA_EVIDENCE_KINDS and item.result == Evidence.Result.PASSED
                for item in evidence
            ),
            rollback=rollback,
            approval=approval,
            approval_revoked=revoked,
            signer_in_owning_team=approval is not None
            and (approval.signer_id in team_members or approval.signer_id == service.owner_of_record_id),
            signer_on_call_in_bake=on_call,
            production_deployed_at=first_deploy,
            deployed_off_hours=bool(first_deploy and _off_hours(first_deploy)),
            blast_radius_score=radius[0] if radius else None,
            blast_radius_unknown=radius[1] if radius else False,
            blast_radius_count=radius[2] if radius else 0,
            recent_incidents=incident_counts.get(service.id, 0),
            evaluated_at=now,
        )
    return facts


def change_facts(*, change: Change, now: datetime | None = None) -> ChangeFacts:
    return change_facts_load(change_ids=[change.pk], now=now)[change.pk]


def recent_changes_filter(*, days: int | None = None, now: datetime | None = None) -> Q:
    """Changes that matter to stored results: merged (or, lacking a merge time, created) in the window."""
    now = now or timezone.now()
    since = now - timedelta(days=days if days is not None else settings.ANALYSIS_RECENT_CHANGE_DAYS)
    return Q(merged_at__gte=since) | Q(merged_at__isnull=True, created_at__gte=since)
