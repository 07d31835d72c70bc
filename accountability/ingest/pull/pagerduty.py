"""PagerDuty REST pull: incidents, on-calls and services.

- Incidents are wrapped as the Webhooks V3 event of their current status (`incident.triggered`,
  `.acknowledged`, `.resolved`) so the PagerDuty adapter maps them as pushed ones. They are read in a fixed
  window (`since` → `until`) by offset pages; the window and the next offset are saved after every page, so
  a failure resumes on that page. The next window starts `incident_lookback_hours` before the last one
  ended, to see incidents that changed state since.
- On-calls (now → `oncall_days` ahead) and services have no webhook: each is pulled whole and stored as one
  snapshot delivery (`pagerduty.oncalls.pulled`, `pagerduty.services.pulled`) that `oncalls_apply` and
  `services_apply` below map into OnCallShift rows and Service/Team ids.

`source.url` defaults to https://api.pagerduty.com; `source.token` is a REST API key.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accountability.catalog.models import OnCallShift, Person, RecordSource, Service, Team
from accountability.ingest.errors import PayloadError
from accountability.ingest.models import PULLED_HEADER, Source
from accountability.ingest.pull.base import cursor_save, digest, item_store
from accountability.ingest.pull.http import PullError, PullSession

API = "https://api.pagerduty.com"
PAGE = 100
STATUS_EVENTS = {
    "triggered": "incident.triggered",
    "acknowledged": "incident.acknowledged",
    "resolved": "incident.resolved",
}
ONCALLS_EVENT = "pagerduty.oncalls.pulled"
SERVICES_EVENT = "pagerduty.services.pulled"


def session_for(source: Source) -> PullSession:
    headers = {"Accept": "application/vnd.pagerduty+json;version=2"}
    if source.token:
        headers["Authorization"] = f"Token token={source.token}"
    return PullSession(headers=headers)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _offset_pages(session: PullSession, url: str, key: str, params: dict, offset: int = 0):
    """(items, next offset or None) for PagerDuty's classic pagination: `offset`, `limit`, `more`."""
    while True:
        data = session.json(url, params={**params, "offset": offset, "limit": PAGE})
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise PullError(f"GET {url} did not answer {{{key!r}: [...]}}")
        more = bool(data.get("more")) and bool(items)
        offset += len(items)
        yield items, offset if more else None
        if not more:
            return


def _envelope(*, event_id: str, event_type: str, resource_type: str, occurred_at: str, data: dict) -> dict:
    return {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": resource_type,
            "occurred_at": occurred_at,
            "agent": None,
            "data": data,
        }
    }


def pull(*, source: Source) -> int:
    session = session_for(source)
    base = (source.url or API).rstrip("/")
    return (
        _incidents(source, session, base) + _oncalls(source, session, base) + _services(source, session, base)
    )


def _incidents(source: Source, session: PullSession, base: str) -> int:
    state = dict(source.cursor.get("incidents", {}))
    now = timezone.now()
    if not state.get("until"):
        lookback = timedelta(hours=float(source.config.get("incident_lookback_hours", 24)))
        previous = state.get("last_until")
        since = (
            datetime.fromisoformat(previous.replace("Z", "+00:00")) - lookback
            if previous
            else now - timedelta(days=30)
        )
        state = {"since": _iso(since), "until": _iso(now), "offset": 0, "last_until": previous}
    params = {
        "since": state["since"],
        "until": state["until"],
        "sort_by": "created_at:asc",
        "time_zone": "UTC",
    }
    stored = 0
    for items, next_offset in _offset_pages(
        session, f"{base}/incidents", "incidents", params, state["offset"]
    ):
        for incident in items:
            status = incident.get("status", "")
            event_type = STATUS_EVENTS.get(status)
            if not event_type or not incident.get("id"):
                continue
            changed = incident.get("last_status_change_at") or incident.get("created_at") or state["until"]
            event_id = f"pull:incident:{incident['id']}:{status}:{changed}"
            stored += item_store(
                source=source,
                external_id=event_id,
                event_type=event_type,
                headers={"content-type": "application/json"},
                body=_envelope(
                    event_id=event_id,
                    event_type=event_type,
                    resource_type="incident",
                    occurred_at=changed,
                    data=incident,
                ),
            )
        if next_offset is not None:
            cursor_save(source, {**source.cursor, "incidents": {**state, "offset": next_offset}})
    cursor_save(source, {**source.cursor, "incidents": {"last_until": state["until"]}})
    return stored


def _snapshot(source: Source, *, event_type: str, resource_type: str, data: dict) -> int:
    body = _envelope(
        event_id="",
        event_type=event_type,
        resource_type=resource_type,
        occurred_at=_iso(timezone.now()),
        data=data,
    )
    # The same snapshot twice is one delivery: the id is the digest of what it says.
    event_id = f"pull:{resource_type}:{digest(repr(sorted(data.items())))[:32]}"
    body["event"]["id"] = event_id
    return int(
        item_store(
            source=source,
            external_id=event_id,
            event_type=event_type,
            headers={"content-type": "application/json", PULLED_HEADER: "1"},
            body=body,
        )
    )


def _oncalls(source: Source, session: PullSession, base: str) -> int:
    # Whole hours, so that the same rota pulled again within the hour is the same snapshot (stored once).
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    since, until = _iso(now), _iso(now + timedelta(days=int(source.config.get("oncall_days", 7))))
    params = {"since": since, "until": until, "include[]": "users", "time_zone": "UTC"}
    oncalls = [
        item for items, _ in _offset_pages(session, f"{base}/oncalls", "oncalls", params) for item in items
    ]
    return _snapshot(
        source,
        event_type=ONCALLS_EVENT,
        resource_type="oncalls",
        data={"since": since, "until": until, "oncalls": oncalls},
    )


def _services(source: Source, session: PullSession, base: str) -> int:
    services = [
        item for items, _ in _offset_pages(session, f"{base}/services", "services", {}) for item in items
    ]
    return _snapshot(source, event_type=SERVICES_EVENT, resource_type="services", data={"services": services})


# --- applying the snapshots (called by the PagerDuty adapter) ---------------------------------------------


def _moment(value, field: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{field} is not a timestamp: {value!r}") from None


def _person(user: dict) -> Person:
    """The person a PagerDuty user is: by PagerDuty id, else by e-mail (then linked), else a new person."""
    user_id, email = str(user.get("id", ""))[:64], str(user.get("email") or "")[:254]
    person = Person.objects.filter(pagerduty_user_id=user_id).first()
    if person is None and email:
        person = Person.objects.filter(email__iexact=email).first()
    if person is None:
        person = Person(
            name=str(user.get("name") or user.get("summary") or user_id)[:200],
            email=email,
            record_source=RecordSource.PAGERDUTY,
        )
    if not person.pagerduty_user_id:
        person.pagerduty_user_id = user_id
    person.save()
    return person


def oncalls_apply(*, data: dict) -> str:
    """Replace the PagerDuty on-call shifts in the snapshot's window with the snapshot's.

    1. Each on-call entry names a user, an escalation level, a schedule (or none for a direct escalation
       policy rule) and its start/end; the team is the one whose schedule or escalation policy id matches.
    2. Shifts from PagerDuty overlapping the window and absent from the snapshot are removed (a swapped
       shift), the others upserted on (team, schedule, level, person, start).
    """
    since, until = _moment(data.get("since"), "since"), _moment(data.get("until"), "until")
    oncalls = data.get("oncalls")
    if not isinstance(oncalls, list):
        raise PayloadError("oncalls must be a list")
    teams_by_schedule = {t.pagerduty_schedule_id: t for t in Team.objects.exclude(pagerduty_schedule_id="")}
    teams_by_policy = {
        t.pagerduty_escalation_policy_id: t for t in Team.objects.exclude(pagerduty_escalation_policy_id="")
    }
    kept = []
    with transaction.atomic():
        for entry in oncalls:
            if not isinstance(entry, dict) or not isinstance(entry.get("user"), dict):
                continue
            schedule_id = str((entry.get("schedule") or {}).get("id") or "")
            policy_id = str((entry.get("escalation_policy") or {}).get("id") or "")
            team = teams_by_schedule.get(schedule_id) or teams_by_policy.get(policy_id)
            # An on-call with no start/end is "always on call" for a policy rule: it covers the whole window.
            start = _moment(entry["start"], "oncalls.start") if entry.get("start") else since
            end = _moment(entry["end"], "oncalls.end") if entry.get("end") else until
            if end <= start:
                continue
            shift, _ = OnCallShift.objects.update_or_create(
                team=team,
                schedule_id=schedule_id or policy_id,
                escalation_level=int(entry.get("escalation_level") or 1),
                person=_person(entry["user"]),
                start=start,
                defaults={"end": end, "record_source": RecordSource.PAGERDUTY},
            )
            kept.append(shift.pk)
        OnCallShift.objects.filter(
            record_source=RecordSource.PAGERDUTY, end__gt=since, start__lt=until
        ).exclude(pk__in=kept).delete()
    return "processed"


def services_apply(*, data: dict) -> str:
    """Link PagerDuty services to ours: by PagerDuty id, else by name or slug; note the team's policy id."""
    services = data.get("services")
    if not isinstance(services, list):
        raise PayloadError("services must be a list")
    for entry in services:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        pd_id, name = str(entry["id"]), str(entry.get("name") or entry.get("summary") or "")
        service = Service.objects.filter(pagerduty_service_id=pd_id).first() or (
            Service.objects.filter(
                Q(name__iexact=name) | Q(slug=slugify(name)), pagerduty_service_id=""
            ).first()
            if name
            else None
        )
        if service is None:
            continue
        if not service.pagerduty_service_id:
            service.pagerduty_service_id = pd_id
            service.save(update_fields=["pagerduty_service_id"])
        policy_id = str((entry.get("escalation_policy") or {}).get("id") or "")
        team = service.owner_team
        if team is not None and policy_id and not team.pagerduty_escalation_policy_id:
            team.pagerduty_escalation_policy_id = policy_id
            team.save(update_fields=["pagerduty_escalation_policy_id"])
    return "processed"


PULLED = {"oncalls": oncalls_apply, "services": services_apply}
