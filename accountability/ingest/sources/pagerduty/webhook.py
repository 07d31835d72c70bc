"""PagerDuty Webhooks V3: the signature and the event (incidents.py applies it)."""

import hmac
from dataclasses import dataclass
from datetime import datetime

from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Source
from accountability.ingest.payload import (
    get,
    hmac_sha256_hex,
    json_object,
    require_secret,
    text,
)
from accountability.ingest.upserts import timestamp


@dataclass(frozen=True)
class PagerDutyEvent:
    id: str
    event_type: str
    resource_type: str
    occurred_at: datetime
    agent: str
    data: dict


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    """X-PagerDuty-Signature lists one or more "v1=<hex>" (several while a secret is being rotated)."""
    secret = require_secret(source)
    expected = hmac_sha256_hex(secret, body)
    signatures = [s.strip() for s in headers.get("x-pagerduty-signature", "").split(",")]
    # Compare with every listed signature, without stopping early, so timing says nothing about which.
    matches = [
        hmac.compare_digest(s.removeprefix("v1="), expected) for s in signatures if s.startswith("v1=")
    ]
    if not any(matches):
        raise SignatureError("X-PagerDuty-Signature is missing or matches none of the v1 signatures")


def parse(*, body: bytes, headers: dict) -> PagerDutyEvent:
    data = json_object(body)
    if "event" not in data and ("routing_key" in data or "event_action" in data):
        raise PayloadError("this is an Events API v2 body (sent to PagerDuty), not a Webhooks V3 payload")
    event = get(data, "event", dict)
    occurred_at = timestamp(get(event, "occurred_at"), field="event.occurred_at")
    return PagerDutyEvent(
        id=get(event, "id")[:200],
        event_type=get(event, "event_type")[:200],
        resource_type=text(event, "resource_type"),
        occurred_at=occurred_at,
        agent=text(event, "agent.summary", limit=200),
        data=get(event, "data", dict, default={}),
    )


def identify(*, payload: PagerDutyEvent, headers: dict, body: bytes) -> tuple[str, str]:
    return payload.id, payload.event_type
