"""GET /incidents and /incidents/{id}: incidents with their ranked suspect changes and reasons."""

from datetime import datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accountability.api.auth import ScopedTokenAuth
from accountability.api.errors import ApiError, reject_unknown_query
from accountability.api.models import ApiToken
from accountability.api.outputs import ErrorOut, PersonRef, Reason, ServiceRef, person_ref, service_ref
from accountability.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_time
from accountability.catalog.models import Service
from accountability.incidents.models import Incident
from accountability.incidents.selectors import incident_for_page

router = Router(tags=["incidents"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class IncidentFilters(Schema):
    status: Literal["triggered", "acknowledged", "resolved"] | None = None
    open: bool | None = Field(default=None, description="true: not resolved; false: resolved")
    service: str | None = Field(default=None, max_length=100, description="Affects this service (slug)")
    environment: str | None = Field(default=None, max_length=50)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2000)


class IncidentItemOut(Schema):
    id: int
    source: str
    external_id: str
    title: str
    severity: str
    priority: str
    status: str
    environment: str
    started_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    url: str
    services: list[ServiceRef]
    commander: PersonRef | None


class IncidentPage(Schema):
    items: list[IncidentItemOut]
    next_cursor: str | None


class SuspectOut(Schema):
    rank: int
    score: float
    change_id: int
    service: ServiceRef
    sha: str
    title: str
    owner_of_record: PersonRef | None
    reasons: list[Reason]
    verdict: str = Field(description="none, confirmed or ruled_out")
    verdict_at: datetime | None
    computed_at: datetime


class IncidentDetailOut(IncidentItemOut):
    suspects: list[SuspectOut] = Field(description="Likeliest cause first")


def _incident(incident: Incident) -> dict:
    return {
        "id": incident.id,
        "source": incident.source,
        "external_id": incident.external_id,
        "title": incident.title,
        "severity": incident.severity,
        "priority": incident.priority,
        "status": incident.status,
        "environment": incident.environment,
        "started_at": incident.started_at,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_at": incident.resolved_at,
        "url": incident.url,
        "services": [service_ref(service) for service in incident.services.all()],
        "commander": person_ref(incident.commander),
    }


@router.get(
    "/incidents",
    response={200: IncidentPage, **READ_ERRORS},
    summary="Incidents, newest first",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def incident_list(request: HttpRequest, filters: Query[IncidentFilters]):
    reject_unknown_query(request, IncidentFilters)
    incidents = Incident.objects.select_related("commander").prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id", "slug", "name", "tier").order_by("slug"))
    )
    if filters.status:
        incidents = incidents.filter(status=filters.status)
    if filters.open is not None:
        incidents = incidents.filter(resolved_at__isnull=filters.open)
    if filters.service:
        incidents = incidents.filter(services__slug=filters.service)
    if filters.environment:
        incidents = incidents.filter(environment=filters.environment)
    rows, next_cursor = page_by_time(
        incidents, field="started_at", kind="incidents", cursor=filters.cursor, limit=filters.limit
    )
    return {"items": [_incident(incident) for incident in rows], "next_cursor": next_cursor}


@router.get(
    "/incidents/{incident_id}",
    response={200: IncidentDetailOut, **READ_ERRORS},
    summary="An incident with its suspect changes, ranked, each with its reasons",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def incident_detail(request: HttpRequest, incident_id: int):
    reject_unknown_query(request)
    try:
        incident = incident_for_page(pk=incident_id)
    except Incident.DoesNotExist:
        raise ApiError(404, f"no incident {incident_id}") from None
    return {
        **_incident(incident),
        "suspects": [
            {
                "rank": suspect.rank,
                "score": suspect.score,
                "change_id": suspect.change_id,
                "service": service_ref(suspect.change.service),
                "sha": suspect.change.sha,
                "title": suspect.change.title,
                "owner_of_record": person_ref(suspect.change.service.owner_of_record),
                "reasons": suspect.reasons,
                "verdict": suspect.verdict,
                "verdict_at": suspect.verdict_at,
                "computed_at": suspect.computed_at,
            }
            for suspect in incident.suspects.all()
        ],
    }
