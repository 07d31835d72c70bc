"""With the broker down, a delivery is still stored and answered 202; the sweep enqueues it later."""

import time

import pytest
import redis
from django.conf import settings

from accountability.celery import app as celery_app
from accountability.ingest.models import Delivery, Source
from accountability.ingest.wake import wake_key
from tests.factories import SourceFactory
from tests.ingest.conftest import fixture_bytes, github_headers, post


@pytest.fixture
def broker_down():
    """Points the app at a port where no broker listens (nothing can listen on port 1 unprivileged here)."""
    # Pools are dropped, not closed: kombu keeps them per broker URL and hands the working ones back after.
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url = previous
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_it_answers_202_and_keeps_the_delivery_pending_when_the_broker_is_down(client, queue, broker_down):
    # `queue`: a queue of this test's own, so no earlier test's wake key stands in for this one's.
    SourceFactory(kind=Source.Kind.GITHUB, name="gh")
    body = fixture_bytes("github/push/00-event.json")
    started = time.monotonic()
    response = post(client, "/webhooks/github/gh/", body, github_headers(body, event="push", delivery="1"))
    assert response.status_code == 202
    assert time.monotonic() - started < 8  # GitHub gives up on a delivery after 10 s
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    # No drain is coming: the wake key it set is gone again, so the next delivery tries to publish one.
    assert not redis.Redis.from_url(settings.REDIS_URL).exists(wake_key())
