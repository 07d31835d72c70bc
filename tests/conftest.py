import io
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from django.core.management import call_command
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


@pytest.fixture(autouse=True, scope="session")
def _queue_of_this_process(worker_id):
    """Each xdist process publishes to a queue of its own, so one process's wake-up key (ingest/wake.py) or
    queued tasks never stand in for another's."""
    celery_app.conf.task_default_queue = f"{celery_app.conf.task_default_queue}-{worker_id}"


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


@pytest.fixture(scope="session")
def app_database_url(django_db_setup, django_db_blocker) -> str:
    """The test database as the application's own role, set up by `manage.py grant_app_role` as in
    production: every process of the app a test starts (a Celery worker, `devstack run`) connects with
    this URL, so the suite runs the app as a role that may only SELECT and INSERT the ledger.

    The suite itself stays the owner: it creates, migrates and resets its databases, and the tamper tests
    play an attacker who holds the owner's rights. Roles belong to the server, so the role is named after
    this (xdist worker's) test database; it keeps no rights once that database is dropped.
    """
    with django_db_blocker.unblock():
        role = re.sub(r"\W", "_", f"{connection.settings_dict['NAME']}_app")[:63]
        password = secrets.token_urlsafe(18)
        os.environ["ACC_TEST_APP_DB_PASSWORD"] = password
        try:
            call_command(
                "grant_app_role", role=role, password_env="ACC_TEST_APP_DB_PASSWORD", stdout=io.StringIO()
            )
        finally:
            del os.environ["ACC_TEST_APP_DB_PASSWORD"]
        return _database_url({**connection.settings_dict, "USER": role, "PASSWORD": password})


@pytest.fixture
def celery_worker_process(transactional_db, settings, app_database_url):
    """A real Celery worker in its own process, consuming a queue of this test's own through the real Redis.

    It talks to the test database, so tests that use it commit their data (transactional_db).
    Yields the Popen; the worker is stopped (and waited for) afterwards.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app_database_url,
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
