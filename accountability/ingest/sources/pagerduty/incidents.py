"""PagerDuty Webhooks V3: incident events → Incident and its timeline.

What an incident event writes. Every `incident.*` event adds one line to the incident's timeline (keyed by
the event id, so a redelivery adds nothing). Events whose `data` is the incident itself (triggered,
acknowledged, resolved, reopened, priority_updated, reassigned, escalated, …) also set the incident's title,
status, urgency, priority and service; since they may arrive out of order, only the one that occurred last
decides. Events whose `data` only references the incident (annotated, status updates, responders, …) create
it with what they know if it is not there yet. The service is the one whose `pagerduty_service_id` matches;
an incident on a service we do not know is still stored (it matters to the commander), without service.

Ignored: non-incident events (service.*, pagey.ping), and Events API v2 bodies, which are what monitoring
sends *to* PagerDuty, not webhooks.
"""

from accountability.catalog.models import Service
from accountability.followups import analysis_schedule_for_incident
from accountability.incidents.models import Incident, IncidentEvent
from accountability.ingest.errors import DeliveryIgnored, PayloadError
from accountability.ingest.models import Delivery
from accountability.ingest.payload import (
    get,
    link,
    text,
)
from accountability.ingest.sources.pagerduty.webhook import PagerDutyEvent
from accountability.ingest.upserts import environment_name, lock, person_by_pagerduty_id, timestamp

SOURCE = "pagerduty"

_STATUSES = {
    "triggered": Incident.Status.TRIGGERED,
    "acknowledged": Incident.Status.ACKNOWLEDGED,
    "resolved": Incident.Status.RESOLVED,
}


def _incident_reference(data: dict) -> dict:
    if text(data, "type") == "incident":
        return data
    if isinstance(data.get("incident"), dict):
        return data["incident"]
    for assignment in data.get("incident_role_assignments") or []:
        if isinstance(assignment, dict) and isinstance(assignment.get("incident"), dict):
            return assignment["incident"]
    raise PayloadError("event.data names no incident")


def _summary(event: PagerDutyEvent) -> str:
    data = event.data
    for key in ("content", "message", "summary", "description"):
        if isinstance(data.get(key), str) and data[key]:
            return data[key]
    if text(data, "type") == "incident":
        return f"{text(data, 'status')}: {text(data, 'title')}".strip(": ")
    return event.event_type.removeprefix("incident.").replace("_", " ")


def incident_apply(*, delivery: Delivery, payload: PagerDutyEvent) -> str:
    """One line of the incident's timeline; the incident's state from the latest event that carries it."""
    if not payload.event_type.startswith("incident."):
        raise DeliveryIgnored(f"PagerDuty {payload.event_type} is not an incident event")
    reference = _incident_reference(payload.data)
    external_id = get(reference, "id")[:200]
    lock(f"pagerduty:{external_id}")
    incident, _ = Incident.objects.get_or_create(
        source=SOURCE,
        external_id=external_id,
        defaults={
            "title": f"Incident {external_id}",
            "started_at": payload.occurred_at,
            "url": link(reference, "html_url"),
        },
    )
    kind = payload.event_type.removeprefix("incident.")
    IncidentEvent.objects.update_or_create(
        incident=incident,
        external_id=payload.id,
        defaults={
            "at": payload.occurred_at,
            "kind": kind[:50],
            "summary": _summary(payload)[:10_000],
            "actor": payload.agent,
        },
    )
    if reference is payload.data:
        _apply_incident_state(incident, payload)
    else:
        _apply_reference(incident, reference)
    _apply_timeline_times(incident)
    # Suspects the moment the incident arrives, not at the next beat (DESIGN §12).
    analysis_schedule_for_incident(incident.id)
    return Delivery.Status.PROCESSED


def _apply_incident_state(incident: Incident, event: PagerDutyEvent) -> None:
    """Sets the incident's fields from the full incident object of the latest event that carried one."""
    data = event.data
    if incident.timeline.filter(at__gt=event.occurred_at, kind__in=_FULL_KINDS).exists():
        return  # a later event already set the state
    incident.title = (text(data, "title") or incident.title)[:500]
    created_at = timestamp(get(data, "created_at", default=None), field="incident.created_at")
    incident.started_at = created_at or incident.started_at
    incident.status = _STATUSES.get(text(data, "status"), incident.status)
    incident.severity = text(data, "urgency", limit=20)
    incident.priority = text(data, "priority.summary", limit=20)
    incident.url = link(data, "html_url") or incident.url
    assignees = [a for a in get(data, "assignees", list, default=[]) if isinstance(a, dict)]
    incident.commander = person_by_pagerduty_id(text(assignees[0], "id")) if assignees else None
    incident.save()
    service_id = text(data, "service.id", limit=64)
    # A PagerDuty service may alert for one of a service's other environments (its staging, say):
    # `Service.pagerduty_environments` says which; `pagerduty_service_id` is production's.
    mapped = (
        Service.objects.filter(pagerduty_environments__has_key=service_id).first() if service_id else None
    )
    if mapped is not None:
        incident.environment = environment_name(str(mapped.pagerduty_environments[service_id]))
        incident.save(update_fields=["environment"])
        incident.services.set([mapped])
        return
    incident.services.set(Service.objects.filter(pagerduty_service_id=service_id) if service_id else [])


def _apply_reference(incident: Incident, reference: dict) -> None:
    """What an event that only references the incident tells, until an event with the incident itself comes.

    References to one incident carry the same summary in practice; taking the smallest when they do not
    keeps the result independent of the order they arrive in.
    """
    if incident.timeline.filter(kind__in=_FULL_KINDS).exists():
        return
    summary = text(reference, "summary", limit=500)
    placeholder = incident.title == f"Incident {incident.external_id}"
    if summary and (placeholder or summary < incident.title):
        incident.title = summary
        incident.save(update_fields=["title"])


def _apply_timeline_times(incident: Incident) -> None:
    """Times from the timeline, whatever order its lines arrived in: acknowledged, resolved, and the start
    of an incident known only from references (its own creation time comes with the full incident)."""
    timeline = incident.timeline.order_by("at")
    first_ack = timeline.filter(kind="acknowledged").first()
    last_resolve = timeline.filter(kind="resolved").last()
    incident.acknowledged_at = first_ack.at if first_ack else None
    incident.resolved_at = (
        last_resolve.at if last_resolve and incident.status == Incident.Status.RESOLVED else None
    )
    if not timeline.filter(kind__in=_FULL_KINDS).exists():
        incident.started_at = timeline.first().at
    incident.save(update_fields=["acknowledged_at", "resolved_at", "started_at"])


# Event types whose `data` is the full incident object (PagerDuty Webhooks V3 event types).
_FULL_KINDS = frozenset(
    {
        "triggered",
        "acknowledged",
        "unacknowledged",
        "resolved",
        "reopened",
        "reassigned",
        "escalated",
        "delegated",
        "priority_updated",
        "service_updated",
        "incident_type.changed",
    }
)
