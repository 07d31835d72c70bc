"""Waking the workers (ingest/wake.py): one Celery message for a burst of deliveries, and never a delivery
left without a drain coming for it (DESIGN §15)."""

import json

import pytest

from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import deliveries_drain
from accountability.ingest.wake import wake_key
from tests.conftest import wait_until
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import fixture_bytes, fixture_json, github_headers, post, published

PUSH = "github/push/real-push-to-master.ailisp-reallyfastci.json"
DEPLOYMENT = "github/deployment/00-created.json"


@pytest.fixture
def github(transactional_db):
    ServiceFactory(slug="hello-world", repositories=["Codertocat/Hello-World"])
    return SourceFactory(kind=Source.Kind.GITHUB, name="gh")


def deploy(client, number: int):
    payload = fixture_json(DEPLOYMENT)
    payload["deployment"]["id"] = number
    body = json_bytes(payload)
    headers = github_headers(body, event="deployment", delivery=f"deployment-{number}")
    return post(client, "/webhooks/github/gh/", body, headers)


def json_bytes(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def drains(broker, name: str) -> int:
    """Drain tasks waiting in the queue (applying deliveries publishes analysis tasks there too)."""
    return len(published(broker, name, "ingest.drain_deliveries"))


def test_a_burst_of_deliveries_publishes_one_message(client, github, queue):
    broker, name = queue

    statuses = {deploy(client, number).status_code for number in range(1, 21)}

    assert statuses == {202}
    assert Delivery.objects.filter(status="pending").count() == 20
    assert drains(broker, name) == 1  # one drain task for the twenty
    assert broker.ttl(wake_key()) > 0  # a lost drain blocks wake-ups for a minute at most


def test_a_delivery_committed_after_a_drain_cleared_the_key_publishes_a_new_drain(client, github, queue):
    broker, name = queue
    deploy(client, 1)
    assert deliveries_drain(batch_size=50) == 1  # the queued drain, run here: it clears the key, applies one

    deploy(client, 2)

    assert drains(broker, name) == 2  # the first drain's message (not consumed here) and a new one
    assert deliveries_drain(batch_size=50) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"processed"}


def test_a_drain_applies_a_backlog_in_batches_and_wakes_one_more_for_another_worker(client, github, queue):
    broker, name = queue
    for number in range(1, 8):
        deploy(client, number)
    assert drains(broker, name) == 1

    assert deliveries_drain(batch_size=3) == 7  # batches of 3, 3 and 1

    assert set(Delivery.objects.values_list("status", "attempts")) == {("processed", 1)}
    assert drains(broker, name) == 2  # its first batch was full: a backlog, so a second drain was published


@pytest.mark.integration
def test_a_worker_applies_every_delivery_of_a_burst_once(client, github, celery_worker_process):
    body = fixture_bytes(PUSH)
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    post(client, "/webhooks/github/gh/", body, github_headers(body, event="push", delivery="push"))
    for number in range(1, 60):
        assert deploy(client, number).status_code == 202

    wait_until(lambda: not Delivery.objects.filter(status="pending").exists(), timeout=60)

    assert sorted(Delivery.objects.values_list("status", "attempts")) == [("processed", 1)] * 60
    assert celery_worker_process.poll() is None
