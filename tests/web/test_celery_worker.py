"""A real task through a real worker process and the real Redis broker (not eager mode)."""

from django.core.cache import cache

from accountability.celery import app as celery_app
from accountability.web.heartbeat import HEARTBEAT_KEY, heartbeat_last
from accountability.web.tasks import record_heartbeat
from tests.conftest import wait_until


def test_it_runs_the_heartbeat_task_on_a_worker(celery_worker_process):
    cache.delete(HEARTBEAT_KEY)
    assert celery_app.conf.task_always_eager is False
    # A worker that becomes ready reports at once; after that only the task can write the key again.
    wait_until(heartbeat_last, timeout=60)
    cache.delete(HEARTBEAT_KEY)

    record_heartbeat.delay()

    beat = wait_until(heartbeat_last, timeout=60)
    assert celery_worker_process.poll() is None, "the worker must still be running"
    assert beat is not None


def test_the_worker_is_configured_for_at_least_once_delivery():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    # Redis must not hand a still-running task to another worker.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert "worker-heartbeat" in conf.beat_schedule
