"""Reads of stored analysis results for pages and the API: fixed query counts, no recomputation."""

from datetime import datetime

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from accountability.analysis.blast_radius import blast_radius_for
from accountability.analysis.models import Gap, MetricSnapshot
from accountability.analysis.policy import policy_evaluate, policy_result_for
from accountability.catalog.models import Team
from accountability.incidents.models import Incident, SuspectChange

__all__ = [
    "blast_radius_for",
    "gap_counts_by_team",
    "gaps_open",
    "metric_snapshots",
    "policy_evaluate",
    "policy_result_for",
    "suspects_for_incident",
]

SEVERITY_ORDER = Case(
    When(severity=Gap.Severity.HIGH, then=Value(0)),
    When(severity=Gap.Severity.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def gaps_open(*, team: Team | None = None, code: str = "") -> QuerySet[Gap]:
    """Open gaps (acknowledged ones included: they stay visible), most severe and oldest first."""
    gaps = Gap.objects.filter(resolved_at__isnull=True)
    if team is not None:
        gaps = gaps.filter(accountable_team=team)
    if code:
        gaps = gaps.filter(code=code)
    return gaps.select_related(
        "service",
        "team",
        "change__service",
        "person",
        "accountable_team",
        "acknowledged_by",
        "acknowledged_by_person",
    ).order_by(SEVERITY_ORDER, "first_seen", "id")


def gap_counts_by_team() -> QuerySet[Team]:
    """Teams annotated with their open gaps: total, high severity, and not yet acknowledged."""
    open_gap = Q(accountable_gaps__resolved_at__isnull=True)
    return (
        Team.objects.annotate(
            open_gaps=Count("accountable_gaps", filter=open_gap),
            high_gaps=Count(
                "accountable_gaps", filter=open_gap & Q(accountable_gaps__severity=Gap.Severity.HIGH)
            ),
            unacknowledged_gaps=Count(
                "accountable_gaps", filter=open_gap & Q(accountable_gaps__acknowledged_at__isnull=True)
            ),
        )
        .filter(open_gaps__gt=0)
        .order_by("-high_gaps", "-open_gaps", "name")
    )


def suspects_for_incident(*, incident: Incident) -> QuerySet[SuspectChange]:
    return (
        SuspectChange.objects.filter(incident=incident)
        .select_related("change__service", "change__provenance", "change__rollback_plan", "verdict_by")
        .order_by("rank")
    )


def metric_snapshots(
    *,
    scope: str = MetricSnapshot.Scope.ORGANISATION,
    team_id: int | None = None,
    service_id: int | None = None,
    since: datetime | None = None,
) -> QuerySet[MetricSnapshot]:
    """Snapshots of one scope, oldest period first, every AI level ("all" included)."""
    snapshots = MetricSnapshot.objects.filter(scope=scope, team_id=team_id, service_id=service_id)
    if since is not None:
        snapshots = snapshots.filter(period_start__gte=since)
    return snapshots.order_by("period_start", "ai_level")


def unclaimed_repositories_matching(*, query: str, limit: int = 20) -> list[str]:
    """Repositories no service lists (open UNCLAIMED_REPOSITORY gaps) whose name contains `query`."""
    if len(query.strip()) < 2:
        return []
    gaps = Gap.objects.filter(
        code=Gap.Code.UNCLAIMED_REPOSITORY, resolved_at__isnull=True, repository__icontains=query.strip()
    )
    return list(gaps.order_by("repository").values_list("repository", flat=True)[:limit])
