"""A task applies its delivery together with the other pending ones, in one transaction (DESIGN §15, §16):
each exactly once, a bad one failing alone, at a fixed number of queries per delivery."""

import threading

import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext

from accountability.catalog.models import Service
from accountability.changes.models import Commit, Deployment
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.tasks import process_delivery
from tests.conftest import wait_until
from tests.factories import ChangeFactory, DeliveryFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import deployment_delivery, fixture_bytes, fixture_json

DEPLOYMENT = "github/deployment/00-created.json"
PUSH = "github/push/real-push-to-master.ailisp-reallyfastci.json"


@pytest.fixture
def github(transactional_db):
    ServiceFactory(slug="hello-world", repositories=["Codertocat/Hello-World"])
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    return SourceFactory(kind=Source.Kind.GITHUB)


def push(source) -> Delivery:
    return DeliveryFactory(
        source=source, event_type="push", headers={"x-github-event": "push"}, body=fixture_bytes(PUSH)
    )


def nothing_pending() -> bool:
    return not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()


@pytest.mark.integration
def test_one_task_applies_the_pending_deliveries_once_and_their_own_tasks_find_nothing_to_do(
    github, celery_worker_process
):
    deliveries = [deployment_delivery(github, number) for number in range(1, 31)]
    process_delivery.delay(deliveries[0].id)
    wait_until(nothing_pending, timeout=60)
    assert len(set(Delivery.objects.values_list("processed_at", flat=True))) == 1  # one transaction

    for delivery in deliveries[1:]:
        process_delivery.delay(delivery.id)
    last = deployment_delivery(github, 99)
    process_delivery.delay(last.id)  # one worker takes tasks in order: when it is applied, all others ran
    wait_until(nothing_pending, timeout=60)

    assert sorted(Delivery.objects.values_list("status", "attempts", "error")) == [("processed", 1, "")] * 31
    assert sorted(Deployment.objects.values_list("external_id", flat=True)) == sorted(
        str(number) for number in [*range(1, 31), 99]
    )
    assert celery_worker_process.poll() is None


@pytest.mark.integration
def test_a_bad_delivery_in_a_batch_fails_alone(github, celery_worker_process):
    first = deployment_delivery(github, 1)
    malformed = deployment_delivery(github, 2, sha=42)
    ping = DeliveryFactory(source=github, event_type="ping", headers={"x-github-event": "ping"})
    last = deployment_delivery(github, 3)
    process_delivery.delay(first.id)
    wait_until(nothing_pending, timeout=60)

    outcome = {
        delivery.id: (delivery.status, delivery.error, delivery.attempts)
        for delivery in Delivery.objects.all()
    }
    assert outcome == {
        first.id: ("processed", "", 1),
        malformed.id: ("failed", "sha must be str, not int", 1),
        ping.id: ("ignored", "GitHub event 'ping' is not used", 1),
        last.id: ("processed", "", 1),
    }
    assert sorted(Deployment.objects.values_list("external_id", flat=True)) == ["1", "3"]


def test_the_queries_per_delivery_in_a_batch_are_fixed(github):
    ChangeFactory(
        service=Service.objects.get(slug="hello-world"), sha=fixture_json(DEPLOYMENT)["deployment"]["sha"]
    )
    for size in (10, 30):
        Delivery.objects.all().delete()
        deliveries = [deployment_delivery(github, 1000 * size + number) for number in range(size)]
        with CaptureQueriesContext(connection) as batch:
            delivery_process(delivery_id=deliveries[0].id, batch_size=size)
        assert Delivery.objects.filter(status=Delivery.Status.PROCESSED).count() == size
        # Per delivery: its savepoint and release, the deployment upsert (joined to the change at its sha).
        # Per batch: the pending check, BEGIN and COMMIT, locking its own delivery, claiming the others,
        # loading the rows, the service of the repository, its lock, the deploying person, the environment
        # mappings (catalog/environments.py), the status update (which counts the attempts).
        assert len(batch) == 3 * size + 11, size


def test_a_task_finds_its_delivery_by_primary_key_after_a_quiet_hour(github):
    """Statistics taken when nothing was pending must not turn each task's lookup of its own delivery
    into a walk through every pending row of a burst (what the full-scale bench met: 16 deliveries/s)."""
    for number in range(2000):
        deployment_delivery(github, number)
    Delivery.objects.update(status=Delivery.Status.PROCESSED)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
    burst = [deployment_delivery(github, 10_000 + number) for number in range(2000)]

    with CaptureQueriesContext(connection) as task:
        delivery_process(delivery_id=burst[500].id)

    own = [query["sql"] for query in task if f'"id" = {burst[500].id}' in query["sql"]]
    assert own, "the task looked its delivery up by id"
    with connection.cursor() as cursor:
        for sql in own:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "ingest_delivery_pkey" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_a_delivery_that_meets_a_transient_error_stays_pending_and_the_others_commit(github):
    """A lock timeout in one delivery rolls back its savepoint only; raised when it is the task's own."""
    own, other = deployment_delivery(github, 1), push(github)
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
        delivery_process(delivery_id=own.id, batch_size=10)  # the push is another's: no error here
        own.refresh_from_db()
        other.refresh_from_db()
        assert (own.status, other.status) == ("processed", "pending")

        retried = push(github)
        with pytest.raises(OperationalError):
            delivery_process(delivery_id=retried.id, batch_size=10)  # its own: the task retries it
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 2
    assert not Commit.objects.exists()
    delivery_process(delivery_id=retried.id, batch_size=10)
    assert nothing_pending()
    assert Commit.objects.count() == 5
