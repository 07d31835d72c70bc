"""PagerDuty: incidents from Webhooks V3 (or the REST pull, wrapped as the same events), on-calls and services
from the REST pull only. The contract of every source (ingest/sources/__init__.py): webhook.py verifies and
parses, incidents.py applies incident events, pull.py reads the REST API, snapshots.py applies what it pulled.

Ignored: events of other resources (service.*, pagey.ping), and Events API v2 bodies, which are what
monitoring sends *to* PagerDuty, not webhooks.
"""

from accountability.ingest.errors import DeliveryIgnored
from accountability.ingest.models import Delivery
from accountability.ingest.sources.pagerduty.incidents import incident_apply
from accountability.ingest.sources.pagerduty.pull import pull
from accountability.ingest.sources.pagerduty.snapshots import oncalls_snapshot_apply, services_snapshot_apply
from accountability.ingest.sources.pagerduty.webhook import PagerDutyEvent, identify, parse, verify

__all__ = ["HANDLERS", "RECEIVES_WEBHOOKS", "apply", "identify", "parse", "pull", "verify"]

RECEIVES_WEBHOOKS = True

# By the event's resource type; an event that names none is taken for an incident's (as it always is).
HANDLERS = {
    "incident": incident_apply,
    "": incident_apply,
    "oncalls": oncalls_snapshot_apply,
    "services": services_snapshot_apply,
}


def apply(*, delivery: Delivery, payload: PagerDutyEvent) -> str:
    handler = HANDLERS.get(payload.resource_type)
    if handler is None:
        raise DeliveryIgnored(f"PagerDuty {payload.event_type} is not an incident event")
    return handler(delivery=delivery, payload=payload)
