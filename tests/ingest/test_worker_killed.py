"""Processing holds when the worker dies mid-task or the broker loses its queue (DESIGN §15)."""

import os
import signal
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from accountability.celery import app as celery_app
from accountability.changes.models import Commit
from accountability.ingest.models import Delivery, Source
from accountability.ingest.tasks import sweep_pending_deliveries
from tests.conftest import wait_until
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import fixture_bytes, github_headers, post

pytestmark = pytest.mark.integration

PUSH = "github/push/real-push-to-master.ailisp-reallyfastci.json"


@pytest.fixture
def github(transactional_db):
    ServiceFactory(repositories=["ailisp/gcbapp-buildconfig-example"])
    return SourceFactory(kind=Source.Kind.GITHUB, name="gh")


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_task_leaves_nothing_half_applied_and_the_task_runs_again(
    client, github, celery_worker_process
):
    locked, release = threading.Event(), threading.Event()

    def hold_the_commits_table():
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {Commit._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(60)
            cursor.execute("ROLLBACK")
        connections["default"].close()

    holder = threading.Thread(target=hold_the_commits_table)
    holder.start()
    try:
        locked.wait(10)
        body = fixture_bytes(PUSH)
        assert (
            post(
                client, "/webhooks/github/gh/", body, github_headers(body, event="push", delivery="1")
            ).status_code
            == 202
        )
        wait_until(waiting_on_a_lock, timeout=60)  # the worker is inside the task, half-way through
        [child] = pool_children(celery_worker_process.pid)
        os.kill(child, signal.SIGKILL)
    finally:
        release.set()
        holder.join()

    delivery = wait_until(
        lambda: Delivery.objects.filter(status=Delivery.Status.PROCESSED).first(), timeout=60
    )
    assert Commit.objects.count() == 5  # applied once, by the second run
    assert delivery.attempts == 1  # the killed run's claim was rolled back with everything else
    assert celery_worker_process.poll() is None


def test_a_delivery_whose_task_the_broker_lost_is_applied_after_the_sweep(
    client, github, celery_worker_process
):
    """A Redis restart without persistence loses queued tasks; the stored delivery brings its task back."""
    # The task is sent to a queue no worker reads, then that queue is dropped, as a restart without
    # persistence drops every queue.
    worker_queue = celery_app.conf.task_default_queue
    lost_queue = f"{worker_queue}-lost"
    celery_app.conf.task_default_queue = lost_queue
    try:
        body = fixture_bytes(PUSH)
        post(client, "/webhooks/github/gh/", body, github_headers(body, event="push", delivery="1"))
    finally:
        celery_app.conf.task_default_queue = worker_queue
    broker = redis.Redis.from_url(settings.REDIS_URL)
    assert broker.llen(lost_queue) == 1
    broker.delete(lost_queue)
    Delivery.objects.update(received_at=timezone.now() - timedelta(minutes=2))
    assert Delivery.objects.get().status == Delivery.Status.PENDING

    assert sweep_pending_deliveries() == 1
    wait_until(lambda: Delivery.objects.filter(status=Delivery.Status.PROCESSED).exists(), timeout=60)
    assert Commit.objects.count() == 5
