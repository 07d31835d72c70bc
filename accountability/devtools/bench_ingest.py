"""Measures webhook receive latency: signed GitHub deliveries posted to gunicorn, verified, stored, enqueued.

    BENCH_DELIVERIES=3000 BENCH_CONCURRENCY=8 .venv/bin/python -m accountability.devtools.bench_ingest

Uses its own database (`acc_ingest_bench` on the server of DATABASE_URL, migrated on first use) and its own
Redis queue (dropped afterwards: nothing consumes it, the figure is the receiver's alone). Starts gunicorn
with 2 workers, posts the real push sample under distinct delivery ids from a thread pool with keep-alive
connections, and prints latency percentiles and throughput.

Then the lag from enqueue to applied: one Celery worker process (prefork, concurrency 1) on that queue,
`BENCH_LAG_DELIVERIES` (600) pushes, each of its own change, sent at `BENCH_LAG_RATE` (100) per second;
the lag of each is `processed_at - received_at` from the database.
"""

import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SAMPLE = BASE_DIR / "tests/fixtures/github/push/real-push-to-master.ailisp-reallyfastci.json"
SECRET = "bench-secret"  # noqa: S105 - signs the benchmark's own deliveries only
QUEUE = "q_ingest_bench"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment() -> dict:
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accountability"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=urlunsplit(url._replace(path="/acc_ingest_bench")),
        CELERY_QUEUE=QUEUE,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-0123456789-abcdef",  # noqa: S106
        LEDGER_CHECKPOINT_KEY="devtools-only-ledger-checkpoint-key",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    return env


def _prepare(env: dict) -> None:
    import psycopg

    url = urlsplit(env["DATABASE_URL"])
    with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = 'acc_ingest_bench'").fetchone()
        if not exists:
            admin.execute("CREATE DATABASE acc_ingest_bench")
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True)
    script = (
        "from accountability.ingest.models import Source, Delivery;"
        "Delivery.objects.filter(source__name='bench').delete();"
        "Source.objects.filter(name='bench').delete();"
        f"Source.objects.create(kind='github', name='bench', secret={SECRET!r});"
        "from accountability.catalog.models import Service;"
        "Service.objects.get_or_create(slug='bench-buildconfig', defaults={'name': 'Bench',"
        " 'repositories': ['ailisp/gcbapp-buildconfig-example']})"
    )
    subprocess.run([*manage, "shell", "-c", script], env=env, check=True)


def _post_all(url: str, count: int, concurrency: int) -> tuple[list[float], dict[int, int], float]:
    import requests

    body = SAMPLE.read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    sessions: dict[int, requests.Session] = {}
    run = os.urandom(4).hex()

    def one(number: int) -> tuple[float, int]:
        import threading

        session = sessions.setdefault(threading.get_ident(), requests.Session())
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"bench-{run}-{number}",
            "X-Hub-Signature-256": signature,
        }
        started = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=30)
        return time.perf_counter() - started, response.status_code

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - began
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return [latency for latency, _ in results], statuses, elapsed


def _lag(url: str, env: dict, count: int, rate: float) -> list[float]:
    """Sends `count` distinct pushes at `rate` per second to a running worker; returns their lags (s)."""
    import json

    import psycopg
    import requests

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "accountability", "worker", "--pool", "prefork",
         "--concurrency", "1", "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle",
         "--without-gossip"],
        env=env,
        cwd=BASE_DIR,
    )  # fmt: skip
    template = json.loads(SAMPLE.read_bytes())
    run = os.urandom(4).hex()
    session = requests.Session()
    try:
        time.sleep(5)  # the worker connects to the broker
        began = time.perf_counter()
        for number in range(count):
            payload = dict(template)
            payload["after"] = hashlib.sha1(f"{run}-{number}".encode(), usedforsecurity=False).hexdigest()
            body = json.dumps(payload).encode()
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": f"lag-{run}-{number}",
                "X-Hub-Signature-256": "sha256="
                + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            }
            session.post(url, data=body, headers=headers, timeout=30)
            time.sleep(max(0.0, began + (number + 1) / rate - time.perf_counter()))
        with psycopg.connect(env["DATABASE_URL"]) as db:
            query = "SELECT count(*) FROM ingest_delivery WHERE external_id LIKE %s AND status = 'pending'"
            for _ in range(600):
                if db.execute(query, [f"lag-{run}-%"]).fetchone()[0] == 0:
                    break
                time.sleep(0.5)
            rows = db.execute(
                "SELECT extract(epoch FROM processed_at - received_at) FROM ingest_delivery"
                " WHERE external_id LIKE %s AND processed_at IS NOT NULL",
                [f"lag-{run}-%"],
            ).fetchall()
    finally:
        worker.terminate()
        worker.wait(30)
    return [float(lag) for (lag,) in rows]


def main() -> None:
    count = int(os.environ.get("BENCH_DELIVERIES", "3000"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    env = _environment()
    _prepare(env)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "accountability.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=BASE_DIR,
    )
    url = f"http://127.0.0.1:{port}/webhooks/github/bench/"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _post_all(url, 100, concurrency)  # warm-up: connections, imports
        latencies, statuses, elapsed = _post_all(url, count, concurrency)
        import redis

        redis.Redis.from_url(env.get("REDIS_URL", "redis://127.0.0.1:6379/0")).delete(QUEUE)
        lag_count = int(os.environ.get("BENCH_LAG_DELIVERIES", "600"))
        lag_rate = float(os.environ.get("BENCH_LAG_RATE", "100"))
        lags = _lag(url, env, lag_count, lag_rate) if lag_count else []
    finally:
        server.terminate()
        server.wait(20)
        import redis

        redis.Redis.from_url(env.get("REDIS_URL", "redis://127.0.0.1:6379/0")).delete(QUEUE)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"webhook receive: {count} signed deliveries, {concurrency} concurrent clients, gunicorn 2 workers")
    print(f"  statuses      {statuses}")
    print(f"  throughput    {count / elapsed:,.0f} deliveries/s")
    print(f"  latency p50   {cuts[49] * 1000:.1f} ms")
    print(f"  latency p95   {cuts[94] * 1000:.1f} ms")
    print(f"  latency p99   {cuts[98] * 1000:.1f} ms   (target ≤ 100 ms at 500/s)")
    if len(lags) >= 2:
        lag_cuts = statistics.quantiles(lags, n=100)
        print(f"enqueue → applied: {len(lags)} pushes at {lag_rate:.0f}/s, one worker process")
        print(f"  lag p50       {lag_cuts[49]:.2f} s")
        print(f"  lag p99       {lag_cuts[98]:.2f} s   (target ≤ 5 s at 100/s)")


if __name__ == "__main__":
    main()
