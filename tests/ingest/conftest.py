"""Signing and posting real payloads the way each sender does."""

import base64
import hashlib
import hmac
import json
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from accountability.celery import app as celery_app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SECRET = "It's a Secret to Everybody"


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def fixture_json(relative: str) -> dict:
    return json.loads(fixture_bytes(relative))


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_headers(body: bytes, *, event: str, delivery: str, secret: str = SECRET) -> dict:
    return {
        "HTTP_X_GITHUB_EVENT": event,
        "HTTP_X_GITHUB_DELIVERY": delivery,
        "HTTP_X_HUB_SIGNATURE_256": f"sha256={sign(body, secret)}",
    }


def pagerduty_headers(body: bytes, *, secret: str = SECRET) -> dict:
    return {"HTTP_X_PAGERDUTY_SIGNATURE": f"v1={sign(body, secret)}"}


def cdevents_headers(body: bytes, *, secret: str = SECRET) -> dict:
    return {"HTTP_X_SIGNATURE_256": f"sha256={sign(body, secret)}"}


def post(client, url: str, body: bytes, headers: dict, content_type: str = "application/json"):
    return client.generic("POST", url, body, content_type=content_type, **headers)


@pytest.fixture
def eager_tasks():
    """Runs enqueued tasks in the enqueuing process, so a test sees the effect of processing at once."""
    from accountability.ingest.wake import wake_clear

    wake_clear()  # an earlier test's wake-up, never drained (no worker), would hold back this test's drain
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


def deliver(source, body: bytes, *, headers: dict, external_id: str, event_type: str = ""):
    """Stores a delivery and applies it, as the receiver and the worker do; returns it refreshed."""
    from accountability.ingest.processing import delivery_process
    from accountability.ingest.services import delivery_store

    delivery, _ = delivery_store(
        source=source, external_id=external_id, event_type=event_type, headers=headers, body=body
    )
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    return delivery


def deliver_github(
    source, relative: str, *, event: str, delivery_id: str | None = None, body: bytes | None = None
):
    body = fixture_bytes(relative) if body is None else body
    return deliver(
        source, body, headers={"x-github-event": event}, external_id=delivery_id or relative, event_type=event
    )


PAGERDUTY_DATA_EVENTS = {
    # event.data objects of the PagerDuty docs, each wrapped in the V3 envelope of the event that carries it
    "wh-04-incident.json": "incident.triggered",
    "wh-05-incident-conference-bridge.json": "incident.conference_bridge.updated",
    "wh-06-incident-field-values.json": "incident.custom_field_values.updated",
    "wh-07-incident-note.json": "incident.annotated",
    "wh-08-incident-role-assignment.json": "incident.incident_role.assigned",
    "wh-09-incident-status-update.json": "incident.status_update_published",
    "wh-10-incident-responder.json": "incident.responder.added",
    "wh-11-incident-task.json": "incident.task.created",
    "wh-12-incident-workflow-instance.json": "incident.workflow.started",
    "wh-13-service.json": "service.updated",
    "wh-14-service-field-values.json": "service.custom_field_values.updated",
    "wh-15-incident-action-invocation.json": "incident.action_invocation.created",
}


def pagerduty_envelope(data: dict, *, event_type: str, event_id: str, occurred_at: str) -> dict:
    return {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": event_type.split(".")[0],
            "occurred_at": occurred_at,
            "agent": {"id": "PLH1HKV", "summary": "Tenex Engineer", "type": "user_reference"},
            "client": None,
            "data": data,
        }
    }


@pytest.fixture
def queue():
    """A Celery queue of this test's own, which no worker reads: what it holds is what was published."""
    name, previous = f"test-queue-{uuid.uuid4().hex[:12]}", celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    broker = redis.Redis.from_url(settings.REDIS_URL)
    yield broker, name
    celery_app.conf.task_default_queue = previous
    broker.delete(name, f"{name}:ingest-wake")


def published(broker, name: str, task: str) -> list[list]:
    """The positional arguments of each `task` message waiting in queue `name`, oldest first."""
    messages = [json.loads(raw) for raw in reversed(broker.lrange(name, 0, -1))]  # kombu LPUSHes
    # kombu's Redis transport keeps each body base64-encoded; Celery's body is [args, kwargs, embed].
    return [json.loads(base64.b64decode(m["body"]))[0] for m in messages if m["headers"]["task"] == task]


def deployment_delivery(source, number: int, *, delivery: str = "", **changes):
    """A pending delivery (`delivery` its id, by default one of its own) of GitHub deployment `number`, the
    real sample with `changes` applied."""
    from tests.factories import DeliveryFactory

    payload = fixture_json("github/deployment/00-created.json")
    payload["deployment"].update(id=number, **changes)
    return DeliveryFactory(
        source=source,
        external_id=delivery or f"deployment-{number}",
        event_type="deployment",
        headers={"x-github-event": "deployment"},
        body=json.dumps(payload).encode(),
    )
