"""PagerDuty REST pull: incidents, on-calls and services.

- Incidents are wrapped as the Webhooks V3 event of their current status (`incident.triggered`,
  `.acknowledged`, `.resolved`) so the PagerDuty adapter maps them as pushed ones. They are read in a fixed
  window (`since` → `until`) by offset pages; the window and the next offset are saved after every page, so
  a failure resumes on that page. The next window starts `incident_lookback_hours` before the last one
  ended, to see incidents that changed state since.
- On-calls (now → `oncall_days` ahead) and services have no webhook: each is pulled whole and stored as one
  snapshot delivery (`pagerduty.oncalls.pulled`, `pagerduty.services.pulled`) that `oncalls_apply` and
  `services_apply` (snapshots.py) map into OnCallShift rows and Service/Team ids.

`source.url` defaults to https://api.pagerduty.com; `source.token` is a REST API key.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from accountability.ingest.models import PULLED_HEADER, Source
from accountability.ingest.pull_http import PullError, PullSession
from accountability.ingest.pull_store import cursor_save, digest, item_store

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
