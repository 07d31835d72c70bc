"""The whole sample set through the real receivers, the real Redis broker and a real worker process.

Delivered twice in shuffled order (the second time as redeliveries, then all replayed so that every one is
applied twice), it leaves the database exactly as delivering it once in order does.
"""

import json
import random

import pytest

from accountability.changes.models import Change, Deployment
from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from accountability.ingest.services import deliveries_replay
from tests.conftest import wait_until
from tests.factories import PersonFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import (
    FIXTURES,
    PAGERDUTY_DATA_EVENTS,
    cdevents_headers,
    fixture_json,
    github_headers,
    pagerduty_envelope,
    pagerduty_headers,
    post,
)
from tests.ingest.test_github_order import realistic_sequence
from tests.ingest.test_github_order import state as github_state

pytestmark = pytest.mark.integration

GITHUB_SAMPLES = [
    (path.parent.name, str(path.relative_to(FIXTURES)))
    for path in sorted((FIXTURES / "github").rglob("*.json"))
    if path.parent.name != "deployment_protection_rule"  # the deploy gate answers those, over the network
]


def sample_set() -> list[tuple[str, bytes, dict]]:
    """(url, body, headers) of every delivery: GitHub samples and a real PR's life, PagerDuty, CDEvents."""
    deliveries = []
    for number, (event, relative) in enumerate(GITHUB_SAMPLES):
        body = (FIXTURES / relative).read_bytes()
        deliveries.append(("github", body, github_headers(body, event=event, delivery=f"sample-{number}")))
    for number, (event, payload) in enumerate(realistic_sequence()):
        body = json.dumps(payload).encode()
        deliveries.append(("github", body, github_headers(body, event=event, delivery=f"life-{number}")))
    for path in sorted((FIXTURES / "pagerduty/developer-docs/webhooks-v3").glob("wh-0[23]-*.json")):
        body = path.read_bytes()
        deliveries.append(("pagerduty", body, pagerduty_headers(body)))
    for number, (name, event_type) in enumerate(sorted(PAGERDUTY_DATA_EVENTS.items())):
        data = fixture_json(f"pagerduty/developer-docs/webhooks-v3/{name}")
        envelope = pagerduty_envelope(
            data, event_type=event_type, event_id=f"pd-{number}", occurred_at=f"2020-10-02T18:{number:02}:00Z"
        )
        body = json.dumps(envelope).encode()
        deliveries.append(("pagerduty", body, pagerduty_headers(body)))
    for path in sorted((FIXTURES / "cdevents").glob("*.json")):
        body = path.read_bytes()
        deliveries.append(("cdevents", body, cdevents_headers(body)))
    return deliveries


def database_state() -> dict:
    incidents = [
        (
            i.source,
            i.external_id,
            i.title,
            i.status,
            i.started_at,
            i.acknowledged_at,
            i.resolved_at,
            i.environment,
            i.artifact_id,
            sorted(s.slug for s in i.services.all()),
            # Lines at the same instant (the CDEvents examples share one) are listed in arrival order.
            sorted((e.at, e.kind, e.summary, e.external_id) for e in i.timeline.all()),
        )
        for i in Incident.objects.order_by("source", "external_id")
    ]
    deliveries = sorted(
        (d.source.name, d.external_id, d.event_type, d.status, d.error) for d in Delivery.objects.all()
    )
    return {**github_state(), "incidents": incidents, "deliveries": deliveries}


def deliver_all(client, deliveries) -> list[int]:
    ids = []
    for kind, body, headers in deliveries:
        response = post(client, f"/webhooks/{kind}/{kind}-main/", body, headers)
        assert response.status_code in (200, 202), response.content
        ids.append(response.json()["delivery"])
    return ids


def all_applied() -> bool:
    return not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()


def forget_everything_delivered():
    Delivery.objects.all().delete()
    Change.objects.all().delete()
    Incident.objects.all().delete()


@pytest.fixture
def organisation(transactional_db):
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    ServiceFactory(slug="hello-world", repositories=["Codertocat/Hello-World"])
    ServiceFactory(
        slug="myapp", name="My App", repositories=["TestRepo/TestOrg"], pagerduty_service_id="PF9KMXH"
    )
    PersonFactory(github_login="byao1276")
    PersonFactory(github_login="ailisp")
    for kind in (Source.Kind.GITHUB, Source.Kind.PAGERDUTY, Source.Kind.CDEVENTS):
        SourceFactory(kind=kind, name=f"{kind}-main")


def test_it_applies_every_sample_once_in_order_or_twice_shuffled_to_the_same_state(
    client, organisation, celery_worker_process
):
    deliveries = sample_set()
    deliver_all(client, deliveries)
    wait_until(all_applied, timeout=120)
    in_order = database_state()
    assert Deployment.objects.filter(status="succeeded").exists()
    assert {status for *_, status, _ in in_order["deliveries"]} == {"processed", "ignored"}

    forget_everything_delivered()
    shuffler = random.Random(3)
    first, second = deliveries[:], deliveries[:]
    shuffler.shuffle(first)
    shuffler.shuffle(second)
    deliver_all(client, first)
    ids = deliver_all(client, second)  # all redeliveries: answered 200, not processed again
    wait_until(all_applied, timeout=120)
    deliveries_replay(deliveries=Delivery.objects.filter(id__in=ids))  # …so apply each a second time
    wait_until(all_applied, timeout=120)

    assert celery_worker_process.poll() is None
    replayed = database_state()
    for key, expected in in_order.items():
        assert len(replayed[key]) == len(expected), key
        for got, want in zip(replayed[key], expected, strict=True):
            assert got == want, key
