"""Ctrl-C on `make run` stops every process it started: no worker, pool process or beat outlives it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import _database_url, wait_until

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses; the fields after its last ")" are fixed.
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    children, found, todo = _children(), set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _at_least(count: int, pids: set[int]) -> set[int] | None:
    return pids if len(pids) >= count else None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _healthy(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def empty_database():
    """A database of its own, so `run` migrates something no other test uses; dropped afterwards, with the
    app role `run` creates for it (named by APP_DB_ROLE: roles belong to the whole server)."""
    name = f"acc_run_{uuid.uuid4().hex[:10]}"
    admin = {**connection.settings_dict, "NAME": "postgres"}
    with psycopg.connect(_database_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _database_url({**connection.settings_dict, "NAME": name})
    with psycopg.connect(_database_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{name}_app"')


def _connected_roles(database_url: str) -> set[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
            "pg_backend_pid()"
        ).fetchall()
    return {row[0] for row in rows}


def test_ctrl_c_on_run_leaves_no_process_behind(empty_database):
    address = f"127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": empty_database,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": f"run-{uuid.uuid4().hex[:8]}",  # beat's tasks stay away from other tests' workers
        "RUN_ADDRESS": address,
        "APP_DB_ROLE": f"{empty_database.rsplit('/', 1)[1]}_app",
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "accountability.devtools.devstack", "run", "--no-demo"],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,  # the group a terminal's Ctrl-C reaches
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _healthy(address), timeout=120)
        # The web server, the worker, its two pool processes and beat.
        started = wait_until(lambda: _at_least(5, _descendants(run.pid)), timeout=60)
        # Migrations ran as the owner; the dashboard and the worker connect as the restricted app role.
        assert _connected_roles(empty_database) == {env["APP_DB_ROLE"]}

        os.killpg(run.pid, signal.SIGINT)
        assert run.wait(timeout=60) == 0

        time.sleep(1)  # a process that was going to exit on its own has had the time to
        assert {pid for pid in started if _alive(pid)} == set()
        assert not _healthy(address)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
