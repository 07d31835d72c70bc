"""`make chaos`, short form: deliveries answered 2xx survive worker kills, Redis and PostgreSQL restarts.

The run starts its own PostgreSQL, Redis, gunicorn and Celery processes (accountability/devtools/chaos.py) and
stops them; it never touches the servers the rest of the suite uses.
"""

import json
import os
import subprocess
import sys

import pytest

from accountability.devtools.chaos import BASE_DIR


@pytest.mark.integration
def test_it_applies_every_acknowledged_delivery_exactly_once_under_faults():
    run = subprocess.run(
        [sys.executable, "-m", "accountability.devtools.chaos"],
        cwd=BASE_DIR,
        env={**os.environ, "CHAOS": "short"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("CHAOS_RESULT ")]
    assert lines, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("CHAOS_RESULT "))

    assert result["lost"] == 0, json.dumps(result)
    assert result["applied_twice"] == 0, json.dumps(result)
    assert run.returncode == 0, run.stdout[-3000:]
    # Every delivery was acknowledged (senders retried through the outage) and then applied.
    assert result["acknowledged"] == result["sent"] == result["applied"]
    assert result["deliveries_by_status"] == {"processed": result["sent"]}
    # Each delivery was sent twice; the second answer for each is a 200 "duplicate".
    assert result["duplicates_suppressed"] >= result["sent"]
    assert result["rejected_4xx"] == 0
    # The faults really happened, and the PostgreSQL stop really made senders retry.
    assert set(result["faults"]) == {"kill_pool_process", "redis_restart", "worker_kill", "postgres_restart"}
    assert result["retried_after_5xx"] + result["retried_after_connection_error"] > 0
