"""GET /gaps: ownership gaps (open by default), with their subject and acknowledgement."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accountability.analysis.models import Gap
from accountability.api.auth import ScopedTokenAuth
from accountability.api.errors import reject_unknown_query
from accountability.api.models import ApiToken
from accountability.api.outputs import ErrorOut
from accountability.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_time

router = Router(tags=["gaps"])


class GapFilters(Schema):
    code: Gap.Code | None = None
    severity: Gap.Severity | None = None
    team: str | None = Field(default=None, max_length=100, description="Accountable team's slug")
    service: str | None = Field(default=None, max_length=100, description="Gaps of this service (slug)")
    open: bool = Field(default=True, description="false: only resolved gaps")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2000)


class GapOut(Schema):
    id: int
    code: str
    severity: str
    sentence: str
    service: str | None = Field(description="Subject: a service slug")
    team: str | None = Field(description="Subject: a team slug")
    change_id: int | None = Field(description="Subject: a change")
    person: str | None = Field(description="Subject: a person's name")
    accountable_team: str | None
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(
        description="The person credited with the acknowledgement (their name)"
    )
    acknowledged_by_login: str | None = Field(description="The dashboard login that acknowledged")
    acknowledgement_note: str


class GapPage(Schema):
    items: list[GapOut]
    next_cursor: str | None


@router.get(
    "/gaps",
    response={200: GapPage, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Ownership gaps, newest first",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def gap_list(request: HttpRequest, filters: Query[GapFilters]):
    reject_unknown_query(request, GapFilters)
    gaps = Gap.objects.select_related(
        "service", "team", "person", "accountable_team", "acknowledged_by", "acknowledged_by_person"
    ).filter(resolved_at__isnull=filters.open)
    if filters.code:
        gaps = gaps.filter(code=filters.code)
    if filters.severity:
        gaps = gaps.filter(severity=filters.severity)
    if filters.team:
        gaps = gaps.filter(accountable_team__slug=filters.team)
    if filters.service:
        gaps = gaps.filter(service__slug=filters.service)
    rows, next_cursor = page_by_time(
        gaps, field="first_seen", kind="gaps", cursor=filters.cursor, limit=filters.limit
    )
    items = [
        {
            "id": gap.id,
            "code": gap.code,
            "severity": gap.severity,
            "sentence": gap.sentence,
            "service": gap.service.slug if gap.service else None,
            "team": gap.team.slug if gap.team else None,
            "change_id": gap.change_id,
            "person": gap.person.name if gap.person else None,
            "accountable_team": gap.accountable_team.slug if gap.accountable_team else None,
            "first_seen": gap.first_seen,
            "last_seen": gap.last_seen,
            "resolved_at": gap.resolved_at,
            "acknowledged_at": gap.acknowledged_at,
            "acknowledged_by": gap.acknowledged_by_person.name if gap.acknowledged_by_person else None,
            "acknowledged_by_login": gap.acknowledged_by.get_username() if gap.acknowledged_by else None,
            "acknowledgement_note": gap.acknowledgement_note,
        }
        for gap in rows
    ]
    return {"items": items, "next_cursor": next_cursor}
