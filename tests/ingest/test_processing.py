"""Applying stored deliveries: once, failures recorded with their reason, none blocking the others."""

import threading
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.utils import timezone

from accountability.changes.models import Commit
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import deliveries_sweep, delivery_process
from accountability.ingest.sources import SOURCES
from accountability.ingest.tasks import sweep_pending_deliveries
from tests.factories import DeliveryFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import fixture_bytes

pytestmark = pytest.mark.django_db

PUSH = "github/push/real-push-to-master.ailisp-reallyfastci.json"


@pytest.fixture
def service():
    return ServiceFactory(repositories=["ailisp/gcbapp-buildconfig-example"])


@pytest.fixture
def github():
    return SourceFactory(kind=Source.Kind.GITHUB)


def push_delivery(source, **fields):
    return DeliveryFactory(
        source=source,
        event_type="push",
        headers={"x-github-event": "push"},
        body=fixture_bytes(PUSH),
        **fields,
    )


def test_it_applies_a_delivery_once_however_often_it_is_run(github, service):
    delivery = push_delivery(github)
    delivery_process(delivery_id=delivery.id)
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("processed", 1, "")
    assert delivery.processed_at is not None
    assert Commit.objects.count() == 5


def test_it_tolerates_a_delivery_that_no_longer_exists():
    other = DeliveryFactory()
    delivery_process(delivery_id=other.pk + 1_000_000)  # a deleted row is not an error
    other.refresh_from_db()
    assert (other.status, other.attempts) == (Delivery.Status.PENDING, 0)


def test_it_fails_a_payload_it_cannot_understand_with_the_reason(github, service):
    delivery = DeliveryFactory(
        source=github, headers={"x-github-event": "push"}, body=b'{"ref": 5, "repository": {}}'
    )
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("failed", "ref must be str, not int")


def test_a_failing_delivery_does_not_hold_up_the_next(github, service):
    broken = DeliveryFactory(source=github, headers={"x-github-event": "push"}, body=b"not json")
    good = push_delivery(github)
    for delivery in (broken, good):
        delivery_process(delivery_id=delivery.id)
    broken.refresh_from_db()
    good.refresh_from_db()
    assert broken.status == "failed" and broken.error.startswith("the body is not valid JSON")
    assert good.status == "processed"


def test_a_defect_in_an_adapter_fails_the_delivery_instead_of_retrying_forever(monkeypatch):
    def apply(*, delivery, payload):
        return payload["missing"]

    defective = SimpleNamespace(parse=lambda *, body, headers: {}, apply=apply)
    monkeypatch.setitem(SOURCES, Source.Kind.CODEOWNERS, defective)
    delivery = DeliveryFactory(source=SourceFactory(kind=Source.Kind.CODEOWNERS))
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("failed", "internal error: KeyError: 'missing'")


@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_leaves_the_delivery_pending_for_a_retry(github, service):
    """Transient errors propagate (the task retries them with backoff) and nothing is half-applied."""
    delivery = push_delivery(github)
    locked, release = threading.Event(), threading.Event()

    def hold_the_commits_table():
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {Commit._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)
            cursor.execute("ROLLBACK")
        connections["default"].close()

    holder = threading.Thread(target=hold_the_commits_table)
    holder.start()
    locked.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        with pytest.raises(OperationalError):
            delivery_process(delivery_id=delivery.id)
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert not Commit.objects.exists()
    delivery_process(delivery_id=delivery.id)  # the retry
    delivery.refresh_from_db()
    assert delivery.status == "processed"
    assert Commit.objects.count() == 5


def test_the_sweep_processes_deliveries_pending_for_over_a_minute(github, service, eager_tasks, settings):
    settings.INGEST_BATCH_SIZE = 1  # what the sweep chooses, not what a batch would take along
    stale = push_delivery(github)
    Delivery.objects.filter(id=stale.id).update(received_at=timezone.now() - timedelta(seconds=61))
    fresh = push_delivery(github)
    assert sweep_pending_deliveries() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("processed", "pending")


def test_the_sweep_does_not_enqueue_a_delivery_again_for_four_periods(github):
    delivery = push_delivery(github)
    Delivery.objects.filter(id=delivery.id).update(received_at=timezone.now() - timedelta(minutes=2))
    assert deliveries_sweep(older_than=timedelta(minutes=1)) == [delivery.id]
    assert deliveries_sweep(older_than=timedelta(minutes=1)) == []
    Delivery.objects.filter(id=delivery.id).update(swept_at=timezone.now() - timedelta(minutes=4, seconds=1))
    assert deliveries_sweep(older_than=timedelta(minutes=1)) == [delivery.id]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_delivery_being_processed_right_now(github):
    delivery = push_delivery(github)
    Delivery.objects.filter(id=delivery.id).update(received_at=timezone.now() - timedelta(minutes=2))
    locked, release = threading.Event(), threading.Event()

    def process_slowly():  # holds the row as a worker's claim does, until released
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT 1 FROM ingest_delivery WHERE id = %s FOR UPDATE", [delivery.id])
            locked.set()
            release.wait(10)
            cursor.execute("ROLLBACK")
        connections["default"].close()

    worker = threading.Thread(target=process_slowly)
    worker.start()
    try:
        locked.wait(10)
        assert deliveries_sweep(older_than=timedelta(minutes=1)) == []
    finally:
        release.set()
        worker.join()
    assert deliveries_sweep(older_than=timedelta(minutes=1)) == [delivery.id]


def test_the_sweep_runs_every_minute(settings):
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "ingest.sweep_pending_deliveries"
    )
    assert entry["schedule"] == 60.0


def test_replay_deliveries_reapplies_failed_ones_of_a_source(github):
    failed = push_delivery(github)
    delivery_process(delivery_id=failed.id)
    failed.refresh_from_db()
    assert failed.status == "ignored"  # no service lists the repository yet
    ServiceFactory(repositories=["ailisp/gcbapp-buildconfig-example"])
    out = StringIO()
    call_command("replay_deliveries", "--status", "ignored", "--source", github.name, "--now", stdout=out)
    failed.refresh_from_db()
    assert failed.status == "processed"
    assert out.getvalue().strip() == "Replayed 1 deliveries."
    assert Commit.objects.count() == 5


def test_replay_delivery_enqueues_the_named_delivery(github, service, django_capture_on_commit_callbacks):
    delivery = push_delivery(github, status=Delivery.Status.FAILED, error="boom")
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("replay_delivery", str(delivery.id), stdout=StringIO())
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("pending", "")
    assert len(callbacks) == 1


def test_replay_delivery_names_an_unknown_id():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no delivery with id 424242"):
        call_command("replay_delivery", "424242")
