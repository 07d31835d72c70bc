"""Waking the workers: one Celery message for a burst of stored deliveries, not one per delivery.

Publishing a Celery task was a third of the receiver's time (kombu builds a message, a Redis client and its
headers for each; docs/PERFORMANCE.md). So the receiver, once its delivery is committed, sets a wake key if
it is absent (SET NX, one round trip) and publishes a drain task only when it set it. A drain task deletes
the key, then claims and applies pending deliveries in batches until none is left (processing.py).

Why no delivery is left waiting (DESIGN §15): whenever the key exists, a drain task has been published that
has not yet deleted it. The drain deletes the key before each claim, so a delivery committed after that
claim's snapshot finds the key gone (or set by another receiver who published a drain) and publishes a new
drain. A publish that fails deletes the key again, and the sweep re-enqueues whatever a lost message left
pending; the key expires after INGEST_SWEEP_AFTER_SECONDS in case a process died between the two.
"""

from functools import cache

import redis
from django.conf import settings

from accountability.celery import app as celery_app
from accountability.ingest.tasks import drain_deliveries


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)


def wake_key() -> str:
    # Per queue: each queue has its own workers to wake (tests give every Celery worker a queue of its own).
    return f"{celery_app.conf.task_default_queue}:ingest-wake"


def deliveries_wake() -> None:
    """Makes sure a drain task is coming; called once the stored deliveries are committed."""
    key = wake_key()
    if not _redis().set(key, 1, nx=True, ex=settings.INGEST_SWEEP_AFTER_SECONDS):
        return  # a drain task is queued and has not yet deleted the key: it will see these deliveries
    try:
        drain_deliveries.delay()
    except Exception:
        _redis().delete(key)  # no task is coming after all: the next delivery must publish one
        raise


def wake_clear() -> None:
    """Called by a drain before each claim: a delivery committed after it publishes a new drain."""
    _redis().delete(wake_key())
