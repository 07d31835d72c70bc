"""Reads of delivery metrics for the metrics page: rows per AI level for a rolling period, and how much of
the period's AI split rests on evidence."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q

from accountability.analysis.metrics import metrics_rows_live
from accountability.analysis.models import MetricSnapshot
from accountability.changes.models import Change, Deployment, Environment

LEVEL_ORDER = ["all", "none", "assisted", "majority", "generated", "unknown"]


def metric_rows_for_page(
    *, period_start: datetime, period_end: datetime, team_id: int | None
) -> list[MetricSnapshot]:
    """The metrics page's rows: computed for the chosen rolling period (not stored), in level order."""
    rows = metrics_rows_live(period_start=period_start, period_end=period_end, team_id=team_id)
    rank = {level: index for index, level in enumerate(LEVEL_ORDER)}
    rows.sort(key=lambda row: rank.get(row.ai_level, len(LEVEL_ORDER)))
    return rows


@dataclass(frozen=True)
class AttributionCoverage:
    """How much of a period's AI split rests on evidence: production changes by provenance confidence."""

    total: int
    line_level: int
    attested: int
    heuristic: int
    unknown: int

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0


def attribution_coverage(
    *, team_slug: str = "", period: tuple[datetime, datetime] | None
) -> AttributionCoverage:
    """Changes deployed to production in the period (of one team's services, or all), counted by what their
    AI provenance rests on: line-level data, a pipeline's attestation, heuristic signals only, or nothing
    (`unknown`, including changes never evaluated). One query."""
    if period is None:
        return AttributionCoverage(0, 0, 0, 0, 0)
    # EXISTS, probed per change through the deployments' change index: an IN over a join of changes and
    # deployments let a planner with stale statistics (a database just loaded) nest loops for minutes.
    deployed = Deployment.objects.filter(
        change=OuterRef("pk"),
        environment=Environment.PRODUCTION,
        status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
        finished_at__gte=period[0],
        finished_at__lt=period[1],
    )
    changes = Change.objects.filter(Exists(deployed))
    if team_slug:
        changes = changes.filter(service__owner_team__slug=team_slug)
    confidence = "provenance__confidence"
    counts = changes.aggregate(
        total=Count("pk"),
        line_level=Count("pk", filter=Q(**{confidence: "line_level"})),
        attested=Count("pk", filter=Q(**{confidence: "attested"})),
        heuristic=Count("pk", filter=Q(**{confidence: "heuristic"})),
    )
    known = counts["line_level"] + counts["attested"] + counts["heuristic"]
    return AttributionCoverage(**counts, unknown=counts["total"] - known)
