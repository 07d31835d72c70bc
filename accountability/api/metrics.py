"""GET /metrics: delivery metrics by AI level for the organisation, a team or a service (DESIGN §13)."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accountability.analysis.models import MetricSnapshot
from accountability.api.auth import ScopedTokenAuth
from accountability.api.errors import ApiError, reject_unknown_query
from accountability.api.models import ApiToken
from accountability.api.outputs import ErrorOut

router = Router(tags=["metrics"])

LEVEL_ORDER = ["all", "none", "assisted", "majority", "generated", "unknown"]


class MetricsQuery(Schema):
    team: str | None = Field(default=None, max_length=100, description="A team's slug")
    service: str | None = Field(default=None, max_length=100, description="A service's slug")
    month: str | None = Field(
        default=None,
        pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",
        description="YYYY-MM; default: the latest period",
    )


class MetricRowOut(Schema):
    ai_level: str = Field(description='An AI level, or "all"')
    deployments: int
    deploys_per_week: float
    lead_time_count: int
    lead_time_median_hours: float | None
    failures: int
    failure_rate: float | None = Field(description="Empty when there is not enough data")
    failure_rate_low: float | None = Field(description="95 % Wilson interval")
    failure_rate_high: float | None
    restore_count: int
    restore_median_hours: float | None
    enough_data: bool
    computed_at: datetime


class MetricsOut(Schema):
    scope: Literal["organisation", "team", "service"]
    subject: str | None = Field(description="The team's or service's slug")
    period_start: datetime | None = Field(description="Empty when no metrics were computed yet")
    period_end: datetime | None
    rows: list[MetricRowOut]


@router.get(
    "/metrics",
    response={200: MetricsOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Deployment frequency, lead time, change failure rate and time to restore, by AI level",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def metrics(request: HttpRequest, query: Query[MetricsQuery]):
    reject_unknown_query(request, MetricsQuery)
    if query.team and query.service:
        raise ApiError(
            422,
            "the request is not valid",
            [{"field": "query.service", "message": "give a team or a service, not both"}],
        )
    snapshots = MetricSnapshot.objects.all()
    if query.team:
        scope, subject = MetricSnapshot.Scope.TEAM, query.team
        snapshots = snapshots.filter(scope=scope, team__slug=subject)
    elif query.service:
        scope, subject = MetricSnapshot.Scope.SERVICE, query.service
        snapshots = snapshots.filter(scope=scope, service__slug=subject)
    else:
        scope, subject = MetricSnapshot.Scope.ORGANISATION, None
        snapshots = snapshots.filter(scope=scope)
    if query.month:
        year, month = (int(part) for part in query.month.split("-"))
        snapshots = snapshots.filter(period_start__year=year, period_start__month=month)
    latest = snapshots.order_by("-period_end", "-period_start").first()
    rows = []
    if latest is not None:
        rows = list(snapshots.filter(period_start=latest.period_start, period_end=latest.period_end))
        rows.sort(
            key=lambda r: LEVEL_ORDER.index(r.ai_level) if r.ai_level in LEVEL_ORDER else len(LEVEL_ORDER)
        )
    return {
        "scope": scope,
        "subject": subject,
        "period_start": latest.period_start if latest else None,
        "period_end": latest.period_end if latest else None,
        "rows": rows,
    }
