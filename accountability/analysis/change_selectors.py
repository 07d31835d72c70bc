"""Reads of changes for the pages: the risk review table, the sign-off queue and the change page."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accountability.analysis.models import Gap, PolicyResult
from accountability.api.models import GateDecision
from accountability.catalog.models import Person, Service
from accountability.changes.ledger import LedgerVerification, ledger_verify, signoffs_standing
from accountability.changes.models import (
    Change,
    Deployment,
    Environment,
    Evidence,
    ProvenanceHistory,
    SignOff,
)

PERIODS = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}

SORTS = {
    # Each sort is served by an index of the same order (Change.Meta.indexes); "-risk" is the
    # exact reverse of "risk", so the database walks that index backwards.
    "risk": (F("risk_score").desc(nulls_last=True), "-review_at", "-id"),
    "-risk": (F("risk_score").asc(nulls_first=True), "review_at", "id"),
    "merged": ("-review_at", "-id"),
    "-merged": ("review_at", "id"),
    "blast": (F("blast_score").desc(nulls_last=True), "-id"),
    "service": ("service__name", "-review_at", "-id"),
    "ai": (F("ai_share").desc(nulls_last=True), "-id"),
}
# Counting a million rows exactly costs a scan and helps nobody choose a page: past this many the
# page says "N+ changes" and asks for narrower filters.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class ReviewFilters:
    team: str = ""
    service: str = ""
    environment: str = ""
    period: str = "30d"
    tier: int | None = None
    ai_level: str = ""
    signoff: str = ""
    gap: str = ""
    risk_min: int | None = None
    risk_max: int | None = None
    sort: str = "risk"


def review_changes(*, filters: ReviewFilters) -> QuerySet[Change]:
    """The risk review's rows: recent and pending changes, filtered as the URL says (unordered).

    Only filters, on the change's own columns where it can: `review_ids` orders them, and the
    rows of one page are loaded by `review_rows` (changes/rows.py).
    """
    changes = Change.objects.all()
    if filters.period in PERIODS:
        since = timezone.now() - PERIODS[filters.period]
        # Pending changes (not merged yet) stay in view whatever the period: see Change.review_at.
        changes = changes.filter(review_at__gte=since)
    if filters.team:
        changes = changes.filter(service__owner_team__slug=filters.team)
    if filters.service:
        changes = changes.filter(service__slug=filters.service)
    if filters.environment:
        changes = changes.filter(
            Exists(Deployment.objects.filter(change=OuterRef("pk"), environment=filters.environment))
        )
    if filters.tier:
        changes = changes.filter(service_tier=filters.tier)
    if filters.ai_level:
        changes = changes.filter(ai_level=filters.ai_level)
    if filters.signoff == "signed":
        changes = changes.filter(approved=True)
    elif filters.signoff == "unsigned":
        changes = changes.filter(approved=False)
    if filters.gap:
        open_gaps = Gap.objects.filter(code=filters.gap, resolved_at__isnull=True)
        changes = changes.filter(
            Exists(open_gaps.filter(change=OuterRef("pk")))
            | Exists(open_gaps.filter(service=OuterRef("service_id"), change__isnull=True))
        )
    if filters.risk_min is not None:
        changes = changes.filter(risk_score__gte=filters.risk_min)
    if filters.risk_max is not None:
        changes = changes.filter(risk_score__lte=filters.risk_max)
    return changes


class ReviewIds:
    """The ids of the review's rows, as a sequence a Paginator can count and slice; the count stops
    at COUNT_CAP and `capped` says when it did."""

    def __init__(self, changes: QuerySet[Change]):
        self.ids = changes.values_list("pk", flat=True)
        self._found: int | None = None

    def _count(self) -> int:
        if self._found is None:
            # In the order of the review_at index, so that the count walks the period's range of that
            # covering index and stops at the cap. Unordered, the planner may take a sequential scan that
            # stops after as many matches, cheap only if matches were spread evenly through the table:
            # recent changes cluster, and a synchronised scan starts wherever another one is (2 to 220 ms
            # for the same request at full scale, against 1-3 ms in the index).
            self._found = self.ids.order_by("-review_at")[: COUNT_CAP + 1].count()
        return self._found

    def count(self) -> int:
        return min(self._count(), COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._count() > COUNT_CAP

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[int]:
        return list(self.ids[key])


def review_ids(*, filters: ReviewFilters) -> ReviewIds:
    """The ids of the risk review's rows in the order the URL asks for."""
    return ReviewIds(review_changes(filters=filters).order_by(*SORTS.get(filters.sort, SORTS["risk"])))


def changes_rows(*, ids: list[int]) -> list[Change]:
    """The API's list items of these changes, in the order given, in a fixed number of queries.

    Sign-off state is a column of the change; the analysis rows are joined without their large
    JSON documents, which a list does not show.
    """
    changes = (
        Change.objects.filter(pk__in=ids)
        .select_related("service__owner_team", "provenance", "risk", "blast_radius")
        .defer(
            "provenance__ai_lines",
            "risk__factors",
            "blast_radius__impacted",
            "blast_radius__teams",
            "blast_radius__on_call",
        )
        .prefetch_related(
            Prefetch("deployments", queryset=Deployment.objects.order_by("-finished_at", "-id")),
            Prefetch(
                "policy_results",
                queryset=PolicyResult.objects.filter(environment=Environment.PRODUCTION).defer("controls"),
                to_attr="production_policy",
            ),
        )
    )
    by_id = {change.pk: change for change in changes}
    return [by_id[pk] for pk in ids if pk in by_id]


def person_for_user(user) -> Person | None:
    return getattr(user, "person", None) if user.is_authenticated else None


def _signoff_candidates(*, person: Person) -> QuerySet[Change]:
    """Changes waiting for this person: their services' changes with no standing approval and no
    rejection as the last word.

    Their services are those they are owner of record of, or whose owning team they belong to.
    Changes merged more than 30 days ago without ever reaching production are considered abandoned.
    """
    since = timezone.now() - timedelta(days=30)
    services = Service.objects.filter(
        Q(owner_of_record=person) | Q(owner_team__memberships__person=person)
    ).values("id")
    return (
        Change.objects.filter(service_id__in=services, approved=False)
        .filter(review_at__gte=since)
        .exclude(last_decision=SignOff.Decision.REJECT)
    )


def _in_production(*statuses: str) -> Exists:
    return Exists(
        Deployment.objects.filter(
            change=OuterRef("pk"), environment=Environment.PRODUCTION, status__in=statuses
        )
    )


def signoff_queue(*, person: Person, limit: int = 100) -> list[int]:
    """Changes waiting for this person, riskiest first (their ids); see `_signoff_candidates`."""
    changes = _signoff_candidates(person=person).order_by(*SORTS["risk"])
    return list(changes.values_list("pk", flat=True)[:limit])


@dataclass(frozen=True)
class SignoffQueue:
    """My sign-offs in two parts: what a deploy waits on, then what already shipped without me."""

    waiting: list[int]
    waiting_since: dict[int, datetime]
    shipped: list[int]


def signoff_queue_parts(*, person: Person, limit: int = 100) -> SignoffQueue:
    """1. Waiting to deploy: not (yet) in production; a production deployment already queued or running
       comes first, then the longest waiting (since the merge, or since it was registered if pending).
    2. Shipped without your sign-off: in production (succeeded or rolled back), the latest first."""
    shipped_states = (Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK)
    queued_states = (Deployment.Status.QUEUED, Deployment.Status.IN_PROGRESS)
    changes = _signoff_candidates(person=person).annotate(
        shipped=_in_production(*shipped_states), queued=_in_production(*queued_states)
    )
    waiting = list(
        changes.filter(shipped=False)
        .order_by(F("queued").desc(), "review_at", "id")
        .values_list("pk", "merged_at", "created_at")[:limit]
    )
    shipped = changes.filter(shipped=True).order_by("-review_at", "-id").values_list("pk", flat=True)
    shipped = list(shipped[:limit])
    return SignoffQueue(
        waiting=[pk for pk, _, _ in waiting],
        waiting_since={pk: merged_at or created_at for pk, merged_at, created_at in waiting},
        shipped=shipped,
    )


def signoffs_waiting_count(*, person: Person | None) -> int:
    """The number in the menu: changes of this person's that a deploy waits on (not yet in production)."""
    if person is None:
        return 0
    shipped = _in_production(Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK)
    return _signoff_candidates(person=person).filter(~shipped).count()


def change_for_page(*, pk: int) -> Change:
    return (
        Change.objects.select_related(
            "service__owner_team",
            "service__owner_of_record",
            "service__default_rollback_plan__last_rehearsed_by",
            "provenance",
            "rollback_plan__last_rehearsed_by",
            "risk",
            "blast_radius",
            "merged_by",
        )
        .prefetch_related(
            "authors",
            "commits",
            "provenance__drivers",
            Prefetch("evidence", queryset=Evidence.objects.select_related("recorded_by").order_by("-at")),
            Prefetch("deployments", queryset=Deployment.objects.select_related("deployed_by")),
            Prefetch("policy_results", queryset=PolicyResult.objects.order_by("environment")),
            Prefetch(
                "signoffs",
                queryset=SignOff.objects.select_related("signer", "delegate", "revokes").order_by("id"),
            ),
            Prefetch("gaps", queryset=Gap.objects.filter(resolved_at__isnull=True)),
            Prefetch(
                "provenance_history",
                queryset=ProvenanceHistory.objects.order_by("-valid_until", "-id")[:5],
                to_attr="recent_provenance_history",
            ),
            Prefetch(
                "gate_decisions",
                queryset=GateDecision.objects.order_by("-at", "-id")[:10],
                to_attr="recent_gate_decisions",
            ),
        )
        .get(pk=pk)
    )


def delegates_for(*, change: Change) -> QuerySet[Person]:
    """Who an owner may name as the delegate on call through the bake window: the owning team's
    active members."""
    if change.service.owner_team_id is None:
        return Person.objects.none()
    return Person.objects.filter(memberships__team_id=change.service.owner_team_id, is_active=True).order_by(
        "name"
    )


def standing_approvals(*, change: Change) -> list[SignOff]:
    """The change's approvals that no later entry revoked (from the prefetched sign-offs)."""
    return signoffs_standing(change.signoffs.all())


def ledger_state() -> LedgerVerification:
    """The ledger's verification, recomputed only when an entry was appended since the last check.

    The cache key is the newest entry's id, so a new sign-off triggers a fresh verification; a tampered
    row (which needs the trigger disabled) is caught by `manage.py verify_ledger` and within the hour here.
    """
    last_id = SignOff.objects.order_by("-id").values_list("id", flat=True).first() or 0
    key = f"ledger-verification:{last_id}"
    cached = cache.get(key)
    if cached is not None:
        return LedgerVerification(**cached)
    result = ledger_verify()
    cache.set(key, asdict(result), timeout=3600)
    return result


@dataclass(frozen=True)
class EvidenceNote:
    evidence: Evidence
    counts: bool
    why: str


def evidence_notes(*, change: Change) -> list[EvidenceNote]:
    """Each piece of evidence with whether it counts and why, in the words of DESIGN §2.3."""
    authors = {login.lower() for login in change.author_logins}
    shas = {change.sha, *change.commit_shas}
    notes = []
    for item in change.evidence.all():
        actor = item.actor_login.lower()
        if item.result == Evidence.Result.FAILED:
            note = EvidenceNote(item, False, "It failed.")
        elif item.kind == Evidence.Kind.HUMAN_REVIEW and actor and actor in authors:
            note = EvidenceNote(
                item, False, "The reviewer is an author of the change: a self-review does not count."
            )
        elif item.kind == Evidence.Kind.HUMAN_REVIEW and (actor.endswith("[bot]") or not actor):
            note = EvidenceNote(
                item, False, "No human reviewer is named: a review by a bot or an AI tool does not count."
            )
        elif item.kind == Evidence.Kind.HUMAN_REVIEW and item.source not in Evidence.REVIEW_SOURCES:
            note = EvidenceNote(
                item,
                False,
                "It was posted with a token that may not attest reviews: a review counts only from the code "
                "host, or from a token granted reviews:attest.",
            )
        elif item.kind == Evidence.Kind.HUMAN_REVIEW and item.recorded_by_id is None:
            note = EvidenceNote(
                item,
                False,
                f"No catalogued person has the login {item.actor_login}: not known to be a human.",
            )
        elif item.sha and item.sha not in shas:
            note = EvidenceNote(item, False, f"It is about commit {item.sha[:8]}, not this change.")
        elif not item.url:
            note = EvidenceNote(item, True, "It counts for less: there is no link to check it.")
        elif item.result == Evidence.Result.WARNED:
            note = EvidenceNote(item, True, "It passed with warnings.")
        else:
            note = EvidenceNote(item, True, "It counts.")
        notes.append(note)
    return notes


def service_recent_changes(*, service: Service, limit: int = 10) -> list[Change]:
    """The last changes of a service with where they went and how each is rolled back."""
    return list(
        Change.objects.filter(service=service)
        .select_related("rollback_plan", "provenance")
        .defer("provenance__ai_lines")  # line ranges of every AI-written file: the change page shows them
        .prefetch_related(
            Prefetch("deployments", queryset=Deployment.objects.order_by("-finished_at", "-id")),
        )
        .order_by("-merged_at", "-id")[:limit]
    )
