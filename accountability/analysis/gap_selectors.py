"""Reads of open gaps for the gaps page and the API: counted per team, and one team's list."""

from django.db.models import Case, Count, Q, QuerySet, When

from accountability.analysis.models import Gap


def gaps_by_team() -> list[dict]:
    """Open gaps counted per accountable team and severity, worst first (one query)."""
    rows = (
        Gap.objects.filter(resolved_at__isnull=True)
        .values("accountable_team__slug", "accountable_team__name")
        .annotate(
            total=Count("id"),
            high=Count("id", filter=Q(severity=Gap.Severity.HIGH)),
            medium=Count("id", filter=Q(severity=Gap.Severity.MEDIUM)),
            low=Count("id", filter=Q(severity=Gap.Severity.LOW)),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by("-high", "-total", "accountable_team__name")
    )
    return list(rows)


def gaps_for_team(*, team_slug: str, code: str = "", limit: int = 200) -> QuerySet[Gap]:
    """A team's open gaps (acknowledged ones stay visible), with their subjects; `-` means no team."""
    gaps = Gap.objects.filter(resolved_at__isnull=True).select_related(
        "service",
        "team",
        "change__service",
        "person",
        "acknowledged_by",
        "acknowledged_by_person",
        "accountable_team",
    )
    if team_slug == "-":
        gaps = gaps.filter(accountable_team__isnull=True)
    else:
        gaps = gaps.filter(accountable_team__slug=team_slug)
    if code:
        gaps = gaps.filter(code=code)
    severity_order = Case(
        When(severity=Gap.Severity.HIGH, then=0), When(severity=Gap.Severity.MEDIUM, then=1), default=2
    )
    return gaps.order_by(severity_order, "code", "-first_seen")[:limit]
