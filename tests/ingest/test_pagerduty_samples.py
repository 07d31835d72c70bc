"""Every PagerDuty sample through the adapter: incidents and their timelines, or why it is ignored."""

import json

import pytest

from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from tests.factories import PersonFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import (
    FIXTURES,
    PAGERDUTY_DATA_EVENTS,
    deliver,
    fixture_bytes,
    fixture_json,
    pagerduty_envelope,
)

pytestmark = pytest.mark.django_db

WEBHOOKS = "pagerduty/developer-docs/webhooks-v3"


@pytest.fixture
def source():
    return SourceFactory(kind=Source.Kind.PAGERDUTY)


def deliver_pagerduty(source, body: bytes, external_id: str):
    return deliver(source, body, headers={}, external_id=external_id)


def test_it_creates_the_incident_of_a_real_priority_update(source):
    api = ServiceFactory(pagerduty_service_id="PF9KMXH")
    assignee = PersonFactory(pagerduty_user_id="PTUXL6G")
    delivery = deliver_pagerduty(
        source, fixture_bytes(f"{WEBHOOKS}/wh-02-payload-incident.priority_updated.json"), "1"
    )
    assert delivery.status == Delivery.Status.PROCESSED
    incident = Incident.objects.get()
    assert (incident.source, incident.external_id) == ("pagerduty", "PGR0VU2")
    assert (incident.title, incident.status, incident.priority, incident.severity) == (
        "A little bump in the road",
        "triggered",
        "P1",
        "high",
    )
    assert incident.started_at.isoformat() == "2020-04-09T15:16:27+00:00"
    assert incident.url == "https://acme.pagerduty.com/incidents/PGR0VU2"
    assert list(incident.services.all()) == [api]
    assert incident.commander == assignee
    [line] = incident.timeline.all()
    assert (line.kind, line.actor, line.external_id) == (
        "priority_updated",
        "Tenex Engineer",
        "5ac64822-4adc-4fda-ade0-410becf0de4f",
    )


def test_it_keeps_an_incident_of_an_unknown_service_without_service(source):
    deliver_pagerduty(source, fixture_bytes(f"{WEBHOOKS}/wh-02-payload-incident.priority_updated.json"), "1")
    assert list(Incident.objects.get().services.all()) == []


def test_it_ignores_a_service_event(source):
    delivery = deliver_pagerduty(source, fixture_bytes(f"{WEBHOOKS}/wh-03-payload-service.updated.json"), "1")
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        "PagerDuty service.updated is not an incident event",
    )


@pytest.mark.parametrize(("name", "event_type"), sorted(PAGERDUTY_DATA_EVENTS.items()))
def test_it_maps_each_documented_event_data_object(source, name, event_type):
    data = fixture_json(f"{WEBHOOKS}/{name}")
    body = json.dumps(
        pagerduty_envelope(
            data, event_type=event_type, event_id=f"ev-{name}", occurred_at="2020-10-02T18:45:22Z"
        )
    ).encode()
    delivery = deliver_pagerduty(source, body, name)
    if event_type.startswith("service."):
        assert delivery.status == Delivery.Status.IGNORED
        assert not Incident.objects.exists()
        return
    assert delivery.status == Delivery.Status.PROCESSED, delivery.error
    incident = Incident.objects.get()
    [line] = incident.timeline.all()
    assert line.kind == event_type.removeprefix("incident.")
    assert line.external_id == f"ev-{name}"
    if name == "wh-07-incident-note.json":
        assert line.summary == "I sure am glad we are using PagerDuty!"
        assert (incident.external_id, incident.title) == ("PGR0VU2", "A little bump in the road")
    if name == "wh-04-incident.json":
        assert (incident.title, incident.status, incident.priority) == (
            "A little bump in the road",
            "triggered",
            "P1",
        )


@pytest.mark.parametrize(
    "relative",
    sorted(
        str(path.relative_to(FIXTURES))
        for path in (FIXTURES / "pagerduty").rglob("*.json")
        if "webhooks-v3" not in str(path)
    ),
)
def test_it_fails_events_api_bodies_with_the_reason(source, relative):
    """Events API v2 bodies are what monitoring sends *to* PagerDuty; a webhook never carries one."""
    delivery = deliver_pagerduty(source, fixture_bytes(relative), relative)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error in (
        "this is an Events API v2 body (sent to PagerDuty), not a Webhooks V3 payload",
        "event is missing",
    )
    assert not Incident.objects.exists()


def test_it_fails_the_verbatim_docs_example_with_comments_as_not_json(source):
    relative = "pagerduty/developer-docs/events-v2-trigger/trigger-01-trigger.verbatim.jsonc"
    delivery = deliver_pagerduty(source, fixture_bytes(relative), relative)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error.startswith("the body is not valid JSON")


def test_it_fails_the_subscription_request_example(source):
    delivery = deliver_pagerduty(
        source, fixture_bytes(f"{WEBHOOKS}/wh-01-create-webhook-subscription-request.json"), "1"
    )
    assert (delivery.status, delivery.error) == (Delivery.Status.FAILED, "event is missing")
