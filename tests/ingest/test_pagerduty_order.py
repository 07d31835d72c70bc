"""An incident's webhooks arrive in any order; the incident and its timeline end the same."""

import copy
import itertools
import json

import pytest
from django.db import transaction

from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver, fixture_json, pagerduty_envelope

pytestmark = pytest.mark.django_db

WEBHOOKS = "pagerduty/developer-docs/webhooks-v3"


def sequence() -> list[dict]:
    incident = fixture_json(f"{WEBHOOKS}/wh-04-incident.json")
    acknowledged = copy.deepcopy(incident) | {"status": "acknowledged"}
    resolved = copy.deepcopy(incident) | {"status": "resolved", "resolve_reason": None}
    note = fixture_json(f"{WEBHOOKS}/wh-07-incident-note.json")
    # The real priority update re-opens the incident after it was resolved.
    priority_updated = fixture_json(f"{WEBHOOKS}/wh-02-payload-incident.priority_updated.json")
    return [
        pagerduty_envelope(
            incident, event_type="incident.triggered", event_id="e1", occurred_at="2020-10-02T18:00:00Z"
        ),
        pagerduty_envelope(
            acknowledged,
            event_type="incident.acknowledged",
            event_id="e2",
            occurred_at="2020-10-02T18:10:00Z",
        ),
        pagerduty_envelope(
            note, event_type="incident.annotated", event_id="e3", occurred_at="2020-10-02T18:20:00Z"
        ),
        pagerduty_envelope(
            resolved, event_type="incident.resolved", event_id="e4", occurred_at="2020-10-02T18:30:00Z"
        ),
        priority_updated,
    ]


def state() -> list:
    return [
        (
            i.external_id,
            i.title,
            i.status,
            i.priority,
            i.started_at,
            i.acknowledged_at,
            i.resolved_at,
            sorted(s.slug for s in i.services.all()),
            [(e.kind, e.at, e.summary, e.external_id) for e in i.timeline.all()],
        )
        for i in Incident.objects.order_by("external_id")
    ]


def replay(source, events) -> list:
    with transaction.atomic():
        for event in events:
            delivery = deliver(
                source, json.dumps(event).encode(), headers={}, external_id=event["event"]["id"]
            )
            assert delivery.status == Delivery.Status.PROCESSED, delivery.error
        result = state()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def source():
    ServiceFactory(slug="api", pagerduty_service_id="PF9KMXH")
    return SourceFactory(kind=Source.Kind.PAGERDUTY)


def test_it_builds_the_timeline_in_the_natural_order(source):
    [incident] = replay(source, sequence()[:4])
    external_id, title, status, priority, started, acknowledged, resolved, services, timeline = incident
    assert (external_id, title, status, priority, services) == (
        "PGR0VU2",
        "A little bump in the road",
        "resolved",
        "P1",
        ["api"],
    )
    assert started.isoformat() == "2020-04-09T15:16:27+00:00"
    assert acknowledged.isoformat() == "2020-10-02T18:10:00+00:00"
    assert resolved.isoformat() == "2020-10-02T18:30:00+00:00"
    assert [line[0] for line in timeline] == ["triggered", "acknowledged", "annotated", "resolved"]


def test_it_reopens_with_the_later_priority_update(source):
    [incident] = replay(source, sequence())
    assert (incident[2], incident[6]) == ("triggered", None)


def test_it_ends_the_same_in_every_order(source):
    events = sequence()
    expected = replay(source, events)
    for order in itertools.islice(itertools.permutations(events), 1, None, 7):
        assert replay(source, order) == expected, [e["event"]["id"] for e in order]
