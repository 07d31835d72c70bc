import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations

from accountability.celery import app as celery_app
from tests.factories import TEST_PASSWORD, UserFactory

_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_past_the_ledger(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Transactional tests reset the database with TRUNCATE, which the ledger's triggers refuse
    (audit 0002); as superuser, with triggers off for that one statement's transaction."""
    sql = _sql_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return ["SET LOCAL session_replication_role = replica", *sql] if sql else sql


DatabaseOperations.sql_flush = _sql_flush_past_the_ledger


def pytest_report_header(config):
    # Shows in every run which real services the suite talks to.
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [
        f"database: PostgreSQL {db.get('HOST') or 'local socket'}:{db.get('PORT') or ''}/{db.get('NAME')}",
        f"broker: Redis {settings.REDIS_URL}",
    ]


@pytest.fixture(autouse=True, scope="session")
def _postgres_only(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql"


# pytest-httpserver plays the sources' APIs on this machine, which pull jobs otherwise refuse.
LOCAL_TEST_HOSTS = {"localhost", "127.0.0.1"}


@pytest.fixture(autouse=True)
def _pull_from_local_test_servers(settings):
    settings.PULL_ALLOWED_HOSTS = set(LOCAL_TEST_HOSTS)


@pytest.fixture
def user(db):
    return UserFactory(username="viewer")


@pytest.fixture
def logged_in_client(client, user):
    client.login(username=user.username, password=TEST_PASSWORD)
    return client


def _database_url(settings_dict: dict) -> str:
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """A real Celery worker in its own process, consuming a queue of this test's own through the real Redis.

    It talks to the test database, so tests that use it commit their data (transactional_db).
    Yields the Popen; the worker is stopped (and waited for) afterwards.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url(connection.settings_dict),
        CELERY_QUEUE=queue,
        CACHE_KEY_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", ""),
        PULL_ALLOWED_HOSTS=",".join(sorted(LOCAL_TEST_HOSTS)),
    )
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "accountability",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"{queue}@%h",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        yield process
    finally:
        celery_app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Polls `predicate` until it returns something truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout:.0f}s")
