"""The rows of `make bench` measured over HTTP and through the worker, on the bench organisation.

Called by accountability/analysis/bench.py (same database, same table) once the organisation exists:

- webhook receive: signed GitHub deliveries posted at a fixed rate to gunicorn as production runs it for
  webhooks (docker-compose's `receiver` command), by an open-loop load generator of threads on 127.0.0.1
  (a request leaves at its scheduled time whether or not earlier ones answered),
  verified, stored and enqueued; latency percentiles and the rate sustained; then workers drain what was
  stored, and the row says how many were applied and how long it took;
- pages on gunicorn as production runs it for them (docker-compose's `web`) at 20 concurrent users, each
  waiting 0.5-1.5 s between requests (and, for the capacity, back to back): the risk review, filtered, as
  a full page and as its htmx partial, the who-owns-what search and the service page; p95 and partial size;
- enqueue → applied lag at 100 deliveries/s with one worker process;
- incident delivered → suspects visible, one PagerDuty incident at a time, one worker;
- the receiver's capacity beside bare Django's (devtools/bench_anchor.py), with and without a Redis push;
- backfill of historical events through `manage.py backfill_deliveries` (COPY into staging, one upsert).

Every load is bounded in count and time. gunicorn and the worker are started here, on a free port and a
queue of their own, and stopped here; the queue is deleted afterwards.
"""

import hashlib
import hmac
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEPLOYMENT_SAMPLE = BASE_DIR / "tests/fixtures/github/deployment/00-created.json"
INCIDENT_SAMPLE = (
    BASE_DIR
    / "tests/fixtures/pagerduty/developer-docs/webhooks-v3/wh-02-payload-incident.priority_updated.json"
)
SECRET = "bench-webhook-secret"  # noqa: S105 - a secret of the throwaway bench database
REPOSITORY = "Codertocat/Hello-World"  # the sample's repository, listed on a bench service of its own


@dataclass(frozen=True)
class LoadPlan:
    receive_rate: int
    receive_seconds: int
    lag_rate: int
    lag_seconds: int
    page_requests_per_user: int
    backfill_events: int
    anchor_requests: int
    incident_count: int
    old_deliveries: int  # months old, applied and pruned, present while the receiver is measured


PLANS = {
    # §16: 500/s for 10 minutes (300,000 deliveries), with 10 million old deliveries present (issue 19).
    "full": LoadPlan(500, 600, 100, 60, 10, 1_000_000, 20_000, 100, 10_000_000),
    "small": LoadPlan(200, 10, 100, 10, 3, 50_000, 3_000, 20, 0),
}
USERS = 20


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # ms
    sizes: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    elapsed: float = 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_load(
    *,
    port: int,
    request,
    count: int,
    threads: int,
    rate: float | None = None,
    think: tuple[float, float] | None = None,
) -> LoadResult:
    """Sends `count` requests, `request(i)` → (method, path, body, headers), from `threads` threads. With
    `rate`, request i leaves at start + i / rate (open loop); without, each thread is one user sending its
    share one after the other (closed loop: `threads` concurrent users), back to back, or with `think` =
    (shortest, longest) seconds of think time before each request (after the previous response), drawn
    uniformly from a generator seeded per user so that runs repeat."""
    result = LoadResult()
    lock = threading.Lock()
    began = time.perf_counter() + 0.2

    def work(first: int) -> None:
        mine = LoadResult()
        thinking = random.Random(first)
        time.sleep(max(0.0, began - time.perf_counter()))  # all users start together: `elapsed` is honest
        for number in range(first, count, threads):
            if rate is not None:
                time.sleep(max(0.0, began + number / rate - time.perf_counter()))
            elif think is not None:
                # Before the first request too: 20 people do not click at the same instant.
                time.sleep(thinking.uniform(*think))
            method, path, body, headers = request(number)
            started = time.perf_counter()
            try:
                status, content = _exchange(port, method, path, body, headers)
                mine.statuses[status] += 1
                mine.sizes.append(len(content))
            except (OSError, ValueError):
                mine.statuses["connection error"] += 1
            mine.latencies.append((time.perf_counter() - started) * 1000)
        with lock:
            result.latencies.extend(mine.latencies)
            result.sizes.extend(mine.sizes)
            result.statuses.update(mine.statuses)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result.elapsed = time.perf_counter() - began
    return result


def _exchange(port: int, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
    """One request on a connection of its own, as gunicorn's sync workers (production's) serve every
    request, and the status and body of its answer. A plain socket rather than http.client: the generator
    shares the two cores with the servers it measures, and with http.client it spent 0.35 ms of CPU a
    request against 0.21 ms (5,000 signed deliveries at 500/s to a server that only answers 202)."""
    body = body or b""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    message = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n{head}\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(message)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    head_end = answer.index(b"\r\n\r\n")  # ValueError: the server closed without a whole answer
    status_line, *fields = answer[:head_end].split(b"\r\n")
    content = answer[head_end + 4 :]
    if any(f.lower().replace(b" ", b"") == b"transfer-encoding:chunked" for f in fields):
        content = _dechunk(content)
    return int(status_line.split()[1]), content


def _dechunk(data: bytes) -> bytes:
    parts, at = [], 0
    while True:
        line_end = data.index(b"\r\n", at)
        size = int(data[at:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(parts)
        parts.append(data[line_end + 2 : line_end + 2 + size])
        at = line_end + 2 + size + 2


def _environment(queue: str) -> dict[str, str]:
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        # The key that encrypted the sources' secrets in this process must decrypt them in the servers.
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        LEDGER_CHECKPOINT_KEY=settings.LEDGER_CHECKPOINT_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        CELERY_QUEUE=queue,
    )
    return env


@contextmanager
def served_as(service: str, env: dict[str, str], *, app: str | None = None):
    """gunicorn as docker-compose's `service` runs it (`receiver` for webhooks, `web` for pages): its command,
    another application when given, and what compose's environment makes every request do besides: log at
    its LOG_LEVEL (INFO: a JSON line per delivery stored) and keep Prometheus's series in files. The logs go
    to a file (its last lines are printed when the server stops), the access log to /dev/null."""
    from accountability.devtools.compose import app_environment_default, gunicorn_arguments

    arguments = gunicorn_arguments(service)
    arguments = [
        "/dev/null" if before == "--access-logfile" else argument
        for before, argument in zip(["", *arguments], arguments, strict=False)
    ]
    with tempfile.TemporaryDirectory(prefix=f"bench-{service}-") as directory:
        production = {
            "LOG_LEVEL": app_environment_default("LOG_LEVEL"),
            "PROMETHEUS_MULTIPROC_DIR": directory,
        }
        log = Path(directory) / "server.log"
        arguments = [app or arguments[0], *arguments[1:]]
        with gunicorn({**env, **production}, arguments=arguments, log=log) as port:
            yield port
        others = [line for line in log.read_text().splitlines() if '"level": "INFO"' not in line]
        if others:
            print(f"{service} wrote {len(others)} lines besides INFO logs; last:", *others[-5:], sep="\n ")


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int = 4,
    app: str = "accountability.wsgi",
    arguments: list[str] | None = None,
    log: Path | None = None,
):
    """gunicorn on a free port: with `arguments` (application and options) as given, else `workers` sync
    workers, or BENCH_WEB_ARGS's worker model (e.g. "--worker-class gthread --workers 3 --threads 8");
    its standard error (the logs) into `log` when given."""
    port = _free_port()
    chosen = os.environ.get("BENCH_WEB_ARGS", "").split() or ["--workers", str(workers)]
    stderr = log.open("w") if log is not None else None
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            *(arguments or [app, *chosen]),
            *("--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
            "--no-control-socket",
        ],
        cwd=BASE_DIR,
        env=env,
        stderr=stderr,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(30)
        if stderr is not None:
            stderr.close()


@contextmanager
def celery_worker(env: dict[str, str], *, concurrency: int = 1):
    import psutil

    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            *("-A", "accountability", "worker", "--concurrency", str(concurrency), "--loglevel", "WARNING"),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,  # its banner; warnings and errors still reach stderr
    )
    try:
        deadline = time.monotonic() + 60
        while not psutil.Process(process.pid).children() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the pool process imports Django before it consumes
        yield
    finally:
        process.terminate()
        process.wait(60)


def _drop_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    # kombu keeps one list per priority step next to the queue's own key.
    keys = list(client.scan_iter(match=f"{queue}*", count=1000))
    if keys:
        client.delete(*keys)


def _forget_deliveries(source) -> None:
    """Deletes what a run stored, then vacuums: the bench server may run without autovacuum, and a million
    dead rows left in the deliveries' indexes would slow the next run's inserts."""
    from django.db import connection

    from accountability.ingest.models import Delivery

    if Delivery.objects.filter(source=source).delete()[0]:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {Delivery._meta.db_table}")


def _bench_service() -> None:
    """A service that lists the sample's repository, so that its deployments apply to a change of its own."""
    from accountability.catalog.models import Service

    if not Service.objects.filter(repositories__contains=[REPOSITORY]).exists():
        Service.objects.create(name="Bench Hello World", slug="bench-hello-world", repositories=[REPOSITORY])


def _forget_deployments() -> None:
    """Deletes the deployments the bench's deliveries applied, all to the sample's one change: 300,000
    deployments of one change would weigh on the next run's analysis, which reads a change's deployments."""
    from django.db import connection

    from accountability.changes.models import Change, Deployment

    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Deployment._meta.db_table} d USING {Change._meta.db_table} c "  # noqa: S608 - our tables
            "WHERE d.change_id = c.id AND c.repository = %s",
            [REPOSITORY],
        )


def _drain(env: dict[str, str], deliveries, *, seconds_allowed: float) -> tuple[Counter, float]:
    """Runs a worker with ONE process until none of `deliveries` is pending (or the time allowed is up):
    the statuses they reached, and its rate from the commit of its first batch to that of its last (the
    worker's start-up left out)."""
    from django.db.models import Count, Max, Min

    from accountability.ingest.models import Delivery

    started = time.monotonic()
    with celery_worker(env, concurrency=1):
        pending = deliveries.filter(status=Delivery.Status.PENDING)
        while time.monotonic() - started < seconds_allowed and pending.exists():
            time.sleep(1)
    statuses = Counter(dict(deliveries.order_by().values_list("status").annotate(Count("id"))))
    span = deliveries.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    if span["first"] is None or span["last"] == span["first"]:
        return statuses, 0.0
    after_first = deliveries.filter(processed_at__gt=span["first"]).count()
    return statuses, after_first / (span["last"] - span["first"]).total_seconds()


def _source(name: str, *, forget: bool = True):
    from accountability.ingest.models import Source
    from accountability.ingest.receiving import source_create

    source = Source.objects.filter(name=name).first()
    if source is None:
        return source_create(kind=Source.Kind.GITHUB, name=name, secret=SECRET)
    if forget:
        _forget_deliveries(source)
    source.secret = SECRET
    source.save(update_fields=["secret"])
    return source


class SignedDeployments:
    """Signed GitHub `deployment` deliveries (the real sample), the n-th made when it is sent: 300,000 bodies
    signed in advance would hold about 1 GB. The body is the sample serialised once around its deployment id,
    so making one costs a string join and an HMAC (microseconds), never what limits the rate."""

    _MARKER = "987654321987654321"

    def __init__(self, template: dict, run: str) -> None:
        text = json.dumps({**template, "deployment": {**template["deployment"], "id": int(self._MARKER)}})
        self.prefix, self.suffix = text.split(self._MARKER)
        self.run = run

    def __call__(self, number: int) -> tuple[bytes, dict[str, str]]:
        body = f"{self.prefix}{number}{self.suffix}".encode()
        return body, {
            "Content-Type": "application/json",
            "X-GitHub-Event": "deployment",
            "X-GitHub-Delivery": f"bench-{self.run}-{number}",
            "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
        }


def measure_receive(plan: LoadPlan, env: dict[str, str], *, old: int) -> list[tuple]:
    from accountability.ingest.models import Delivery

    source = _source("bench-receive")
    _bench_service()
    template = json.loads(DEPLOYMENT_SAMPLE.read_text())
    run = os.urandom(3).hex()
    count = plan.receive_rate * plan.receive_seconds
    deliveries = SignedDeployments(template, run)
    warm_up = SignedDeployments(template, f"{run}w")  # not counted as stored
    path = f"/webhooks/github/{source.name}/"

    with served_as("receiver", env) as port:
        result = _at_rate(port, path, deliveries, warm_up, count=count, rate=plan.receive_rate)
    measured = Delivery.objects.filter(source=source, external_id__startswith=f"bench-{run}-")
    stored = measured.count()
    # §16 asks for every one processed. Two cores cannot receive 500/s and apply them at the same time, so
    # one worker process starts once the load ends and drains the backlog the receiver filled (issue 19:
    # at least 400/s).
    statuses, rate = _drain(env, measured, seconds_allowed=max(120, count / 50))  # 100 min at most
    _forget_deliveries(source)
    _forget_deployments()
    sustained = count / result.elapsed
    accepted = result.statuses.get(202, 0)
    processed = statuses.pop(Delivery.Status.PROCESSED, 0)
    note = "" if plan.receive_seconds >= 600 else f", {plan.receive_seconds} s instead of 600 s"
    p50, p95, p99 = (result.percentile(f) for f in (0.50, 0.95, 0.99))
    others = "".join(f", {n:,} {status}" for status, n in statuses.items())  # failed, ignored, pending
    return [
        (
            f"webhook receive p50 / p95 / p99 at {plan.receive_rate}/s{note}, {old:,} old deliveries present",
            "p99 <= 100 ms",
            f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms",
            p99 <= 100 and accepted == count,
        ),
        (
            f"webhook receive sustained rate; {accepted:,} of {count:,} answered 202, {stored:,} stored",
            f">= {plan.receive_rate}/s",
            f"{sustained:,.0f}/s",
            sustained >= plan.receive_rate * 0.98 and stored == count,
        ),
        _floor_at_rate(plan, env, template),
        (
            f"webhook receive, every one processed ({processed:,} of {count:,}{others}) by one worker "
            "process draining the backlog after the load",
            ">= 400/s",
            f"{rate:,.0f}/s",
            processed == count and rate >= 400,
        ),
    ]


def _at_rate(port: int, path: str, deliveries, warm_up, *, count: int, rate: int) -> LoadResult:
    """`count` deliveries at `rate` a second (open loop, 64 threads), after 200 to warm up the workers."""
    http_load(port=port, request=lambda n: ("POST", path, *warm_up(n)), count=200, threads=8)
    return http_load(
        port=port, request=lambda n: ("POST", path, *deliveries(n)), count=count, threads=64, rate=rate
    )


FLOOR = "accountability.devtools.bench_anchor"
FLOOR_SECONDS = 60


def _floor_at_rate(plan: LoadPlan, env: dict[str, str], template: dict) -> tuple:
    """Bare Django with its Redis push (the anchor's floor) under the receive row's own server and load, for
    at most FLOOR_SECONDS: whether this machine carries the row at all, whatever the product does."""
    seconds = min(plan.receive_seconds, FLOOR_SECONDS)
    run = os.urandom(3).hex()
    deliveries, warm_up = SignedDeployments(template, f"{run}f"), SignedDeployments(template, f"{run}fw")
    with (
        _floor_table(),
        served_as("receiver", {**env, "BENCH_ANCHOR_PUSH": "1"}, app=FLOOR) as port,
    ):
        result = _at_rate(
            port,
            "/webhooks/github/floor/",
            deliveries,
            warm_up,
            count=plan.receive_rate * seconds,
            rate=plan.receive_rate,
        )
    p50, p95, p99 = (result.percentile(f) for f in (0.50, 0.95, 0.99))
    return (
        f"  bare Django + Redis push at that rate, {seconds} s: p50 / p95 / p99, sustained "
        f"({result.statuses.get(202, 0):,} of {plan.receive_rate * seconds:,} answered 202)",
        "-",
        f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms, {plan.receive_rate * seconds / result.elapsed:,.0f}/s",
        None,
    )


@contextmanager
def _floor_table():
    """The floor's table and Redis list (devtools/bench_anchor.py), while a measurement needs them."""
    from django.db import connection

    from accountability.devtools.bench_anchor import CREATE_TABLE, TABLE

    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        _drop_redis_list(f"{TABLE}:queue")


# Five, not three: in two full-scale runs of three rounds the floor's median moved from 1,096 to 1,212/s while
# the product's stayed at 944-946/s (docs/PERFORMANCE.md).
ANCHOR_ROUNDS = 5
ANCHOR_CONNECTIONS = 32


def measure_anchor(plan: LoadPlan, env: dict[str, str]) -> list[tuple]:
    """The product's receiver beside bare Django (accountability/devtools/bench_anchor.py), with and without
    a Redis push, each under production's receiver command (docker-compose's `receiver`, 4 sync workers) and
    the same load: unique signed deliveries back to back from 32 connections, the three servers in turn,
    ANCHOR_ROUNDS rounds, medians. The load generator shares the two cores with the servers, so absolute rates
    are lower than a separate client would see; it loads each server alike, which is what the ratios need."""
    from statistics import median

    source = _source("bench-anchor")
    template = json.loads(DEPLOYMENT_SAMPLE.read_text())
    servers = {
        "product": (None, {}),  # compose's own application
        "bare Django": (FLOOR, {}),
        "bare Django + Redis push": (FLOOR, {"BENCH_ANCHOR_PUSH": "1"}),
    }
    rates: dict[str, list[float]] = {name: [] for name in servers}
    p99s: dict[str, list[float]] = {name: [] for name in servers}
    count = plan.anchor_requests
    try:
        with _floor_table():
            for round_number in range(ANCHOR_ROUNDS):
                for name, (app, extra) in servers.items():
                    deliveries = SignedDeployments(template, f"{os.urandom(3).hex()}a{round_number}")
                    result = _capacity(
                        {**env, **extra}, app, f"/webhooks/github/{source.name}/", deliveries, count
                    )
                    answered = result.statuses.get(202, 0)
                    rates[name].append(answered / result.elapsed)
                    p99s[name].append(result.percentile(0.99))
    finally:
        _forget_deliveries(source)
    rate = {name: median(values) for name, values in rates.items()}
    p99 = {name: median(values) for name, values in p99s.items()}
    # A server that answered no 202 at all has no rate to divide by: its ratio reads nan, never met.
    floor, pushed = rate["bare Django"] or float("nan"), rate["bare Django + Redis push"] or float("nan")
    return [
        (
            f"webhook receive capacity, {ANCHOR_CONNECTIONS} connections back to back, median of "
            f"{ANCHOR_ROUNDS}: " + " / ".join(servers),
            "-",
            " / ".join(f"{rate[name]:,.0f}" for name in servers) + "/s",
            None,
        ),
        (
            "  p99 at that load: " + " / ".join(servers),
            "-",
            " / ".join(f"{p99[name]:.0f}" for name in servers) + " ms",
            None,
        ),
        (
            "  product as a share of bare Django + Redis push",
            ">= 0.8",
            f"{rate['product'] / pushed:.2f}",
            rate["product"] >= 0.8 * pushed,
        ),
        ("  product as a share of bare Django", "-", f"{rate['product'] / floor:.2f}", None),
    ]


def _capacity(env: dict[str, str], app: str | None, path: str, deliveries, count: int) -> LoadResult:
    """`count` deliveries back to back from ANCHOR_CONNECTIONS connections, after 200 to warm up."""
    with served_as("receiver", env, app=app) as port:
        http_load(port=port, request=lambda n: ("POST", path, *deliveries(-n - 1)), count=200, threads=8)
        return http_load(
            port=port,
            request=lambda n: ("POST", path, *deliveries(n)),
            count=count,
            threads=ANCHOR_CONNECTIONS,
        )


def _drop_redis_list(key: str) -> None:
    import redis

    redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).delete(key)


def measure_lag(plan: LoadPlan, env: dict[str, str]) -> list[tuple]:
    from django.db import connection

    from accountability.ingest.models import Delivery

    source = _source("bench-lag")
    _bench_service()
    template = json.loads(DEPLOYMENT_SAMPLE.read_text())
    run = os.urandom(3).hex()
    count = plan.lag_rate * plan.lag_seconds
    first_id = 9_100_000_000 + random.randrange(10**8) * 1000
    deliveries, warm_up = SignedDeployments(template, run), SignedDeployments(template, f"{run}w")
    path = f"/webhooks/github/{source.name}/"
    with celery_worker(env), gunicorn(env, workers=2) as port:
        # gunicorn's workers load Django after the port opens; their first requests, not the worker, would
        # otherwise be the queue the first seconds measure. Warm-up deliveries do not count.
        http_load(
            port=port, request=lambda n: ("POST", path, *warm_up(first_id - n - 1)), count=20, threads=4
        )
        http_load(
            port=port,
            request=lambda n: ("POST", path, *deliveries(first_id + n)),
            count=count,
            threads=16,
            rate=plan.lag_rate,
        )
        deliveries = Delivery.objects.filter(source=source, external_id__startswith=f"bench-{run}-")
        deadline = time.monotonic() + 120
        while deliveries.filter(status=Delivery.Status.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FILTER (WHERE status = 'processed'),
                      percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                          (ORDER BY extract(epoch FROM processed_at - received_at))
               FROM ingest_delivery WHERE source_id = %s AND external_id LIKE %s""",
            [source.id, f"bench-{run}-%"],
        )
        processed, percentiles = cursor.fetchone()
    _forget_deployments()
    p50, p99 = percentiles or (float("nan"), float("nan"))
    return [
        (
            f"enqueue -> applied lag p50 / p99, {plan.lag_rate}/s, 1 worker, {processed:,}/{count:,} applied",
            "p99 <= 5 s",
            f"{p50:.2f} / {p99:.2f} s",
            p99 <= 5 and processed == count,
        )
    ]


def _incident_deliveries(count: int, run: str) -> list[tuple[str, bytes]]:
    """`count` signed PagerDuty incidents (the real sample), each on a service whose latest production
    deployment finished ten minutes before it began: (incident id, body)."""
    from accountability.catalog.models import Service
    from accountability.changes.models import Deployment

    template = json.loads(INCIDENT_SAMPLE.read_text())
    recent = (
        Deployment.objects.filter(environment="production", status="succeeded", finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("change__service_id", "finished_at")[: count * 5]
    )
    chosen: dict[int, object] = {}
    for service_id, finished in recent:
        chosen.setdefault(service_id, finished)
    incidents = []
    for number, (service_id, finished) in enumerate(list(chosen.items())[:count]):
        pagerduty_id = f"PB{run}{number}"[:64]
        Service.objects.filter(pk=service_id).update(pagerduty_service_id=pagerduty_id)
        began = (finished + timedelta(minutes=10)).isoformat()
        data = {**template["event"]["data"], "id": f"PINC{run}{number}", "created_at": began}
        data["service"] = {**data["service"], "id": pagerduty_id}
        event = {**template["event"], "id": f"bench-{run}-{number}", "occurred_at": began, "data": data}
        incidents.append((data["id"], json.dumps({"event": event}).encode()))
    return incidents


def measure_incident_lag(plan: LoadPlan, env: dict[str, str]) -> list[tuple]:
    """One worker, the beat off: each incident posted as a signed PagerDuty delivery, then the clock runs
    until its ranked suspects are in the database (what the incident page shows), polled every 20 ms;
    one incident at a time, as they come."""
    from accountability.catalog.models import Service
    from accountability.incidents.models import Incident, SuspectChange
    from accountability.ingest.models import Source
    from accountability.ingest.receiving import source_create

    source = Source.objects.filter(name="bench-pagerduty").first() or source_create(
        kind=Source.Kind.PAGERDUTY, name="bench-pagerduty", secret=SECRET
    )
    run = os.urandom(3).hex()
    # The first one warms the worker's pool process up (Django's import, the first connection): not counted.
    incidents = _incident_deliveries(plan.incident_count + 1, run)
    path = f"/webhooks/pagerduty/{source.name}/"
    outcomes = []  # (seconds until suspects were visible, whether they were), one per incident
    try:
        with celery_worker(env), gunicorn(env, workers=2) as port:
            for incident_id, body in incidents:
                signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {"Content-Type": "application/json", "X-PagerDuty-Signature": f"v1={signature}"}
                sent = time.perf_counter()
                _exchange(port, "POST", path, body, headers)
                suspects = SuspectChange.objects.filter(incident__external_id=incident_id)
                while not suspects.exists() and time.perf_counter() - sent < 60:
                    time.sleep(0.02)
                outcomes.append((time.perf_counter() - sent, suspects.exists()))
    finally:
        Incident.objects.filter(external_id__startswith=f"PINC{run}").delete()
        Service.objects.filter(pagerduty_service_id__startswith=f"PB{run}").update(pagerduty_service_id="")
        _forget_deliveries(source)
    measured = outcomes[1:]
    ranked = sum(visible for _, visible in measured)
    latencies = sorted(seconds for seconds, _ in measured)
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return [
        (
            f"incident delivered -> suspects visible p50 / p99, 1 worker, {ranked}/{len(measured)} ranked",
            "p99 <= 5 s",
            f"{p50:.2f} / {p99:.2f} s",
            p99 <= 5 and ranked == len(measured),
        )
    ]


def _session_cookie() -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]  # as a password login records it
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


THINK_SECONDS = (0.5, 1.5)


def measure_pages(plan: LoadPlan, env: dict[str, str]) -> list[tuple]:
    """Each page kind, served as production serves pages (docker-compose's `web` command), at 20 users who
    wait a think time of 0.5-1.5 s between a response and their next request (people click every few
    seconds; this is harsher), against the §16 targets; then the same requests back to back, no think
    time, as an informational row: the capacity of the machine (requests per second, and the queueing that
    20 users firing without pause see)."""
    from accountability.catalog.models import Service

    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    cookie = _session_cookie()
    slugs = list(Service.objects.order_by("?").values_list("slug", flat=True)[:200])
    filters = ["period=7d&tier=1&sort=risk", "period=30d&signoff=unsigned&sort=blast", "period=90d&tier=2"]
    pages = {
        "risk review, filtered, full page": (lambda n: f"/review/?{filters[n % 3]}", {}, 300),
        "risk review, filtered, htmx partial": (
            lambda n: f"/review/?{filters[n % 3]}",
            {"HX-Request": "true"},
            100,
        ),
        "who-owns-what search": (lambda n: f"/search/?q={slugs[n % len(slugs)]}", {}, 100),
        "service page": (lambda n: f"/services/{slugs[(n * 7) % len(slugs)]}/", {}, 100),
    }
    rows = []
    count = USERS * plan.page_requests_per_user
    think = f"think {THINK_SECONDS[0]}-{THINK_SECONDS[1]} s"
    with served_as("web", env) as port:
        for name, (url, extra, target) in pages.items():
            headers = {"Cookie": cookie, **extra}

            def request(n, url=url, headers=headers):
                return "GET", url(n), None, headers

            http_load(port=port, request=request, count=USERS, threads=USERS)  # warm-up
            result = http_load(port=port, request=request, count=count, threads=USERS, think=THINK_SECONDS)
            p95 = result.percentile(0.95)
            ok = result.statuses.get(200, 0)
            rows.append(
                (
                    f"{name}, p50 / p95 at {USERS} users, {think} ({ok}/{count} answered 200)",
                    f"p95 <= {target} ms",
                    f"{result.percentile(0.5):.0f} / {p95:.0f} ms",
                    p95 <= target and ok == count,
                )
            )
            if "partial" in name:
                largest = max(result.sizes) / 1024
                rows.append(
                    (
                        "risk review partial size, largest (uncompressed)",
                        "<= 30 KB",
                        f"{largest:.1f} KB",
                        largest <= 30,
                    )
                )
            capacity = http_load(port=port, request=request, count=count, threads=USERS)
            rows.append(
                (
                    f"  same, back to back: capacity, p95 ({capacity.statuses.get(200, 0)}/{count} answered)",
                    "-",
                    f"{count / capacity.elapsed:.0f}/s, {capacity.percentile(0.95):.0f} ms",
                    None,
                )
            )
    return rows


def measure_backfill(plan: LoadPlan) -> list[tuple]:
    from django.core.management import call_command

    from accountability.ingest.models import Delivery

    source = _source("bench-backfill")
    # A historical deployment carries what the adapter reads, not the whole webhook (~300 bytes, not 3 KB):
    # 1,000,000 full payloads would be 3 GB to write before any database work.
    template = json.loads(DEPLOYMENT_SAMPLE.read_text())["deployment"]
    deployment = {key: template[key] for key in ("id", "sha", "ref", "environment", "created_at", "url")}
    body = json.dumps(
        {"action": "created", "deployment": deployment, "repository": {"full_name": REPOSITORY}}
    )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.jsonl"
        with path.open("w") as file:
            for number in range(plan.backfill_events):
                headers = f'{{"x-github-event": "deployment", "x-github-delivery": "old-{number}"}}'
                file.write(
                    f'{{"source": "bench-backfill", "id": "old-{number}", "event": "deployment", '
                    f'"headers": {headers}, "received_at": "2024-01-01T00:00:00Z", "body": {body}}}\n'
                )
        started = time.monotonic()
        call_command("backfill_deliveries", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
        seconds = time.monotonic() - started
    stored = Delivery.objects.filter(source=source).count()
    _forget_deliveries(source)
    return [
        (
            f"backfill of {plan.backfill_events:,} historical events ({stored:,} stored)",
            "<= 60 s",
            f"{seconds:.1f} s",
            seconds <= 60 and stored == plan.backfill_events,
        )
    ]


def _old_deliveries(count: int) -> int:
    """At least `count` deliveries of the year before the retention window, applied and their bodies
    pruned, one every 3 seconds, as a year of webhooks leaves the table (issue 19: the receive row unchanged
    with 10 million present). Written once with COPY into the reused bench database; returns how many."""
    from django.db import connection
    from django.utils import timezone

    from accountability.ingest.models import Delivery

    source = _source("bench-archive", forget=False)
    present = Delivery.objects.filter(source=source).count()
    if present >= count:
        return present
    started = time.monotonic()
    newest = timezone.now() - timedelta(days=31)
    columns = "source_id, external_id, event_type, headers, body, received_at, status, attempts, error, "
    columns += "processed_at, pruned_at"
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        with cursor.copy(f"COPY {Delivery._meta.db_table} ({columns}) FROM STDIN") as copy:
            for n in range(present, count):
                at = newest - timedelta(seconds=3 * (count - n))
                copy.write_row((source.id, f"archive-{n}", "push", "{}", b"", at, "processed", 1, "", at, at))
        cursor.execute(f"VACUUM ANALYZE {Delivery._meta.db_table}")
    print(f"{count - present:,} old deliveries written in {time.monotonic() - started:.0f} s")
    return count


def _settle() -> None:
    """Vacuums and checkpoints before the clock starts, as a production server stands between bursts: its
    autovacuum keeps the visibility map that index-only scans rely on (this machine's server runs without
    autovacuum, and the fill's VACUUM FULL leaves the map empty), and the checkpoint writes the generation's
    and the fill's dirty pages now rather than during the receive run, whose commits each wait on the disk."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")
    print(f"Vacuumed and checkpointed in {time.monotonic() - started:.0f} s.")


def measure_load(scale: str) -> list[tuple]:
    plan = PLANS[scale]
    queue = f"bench_load_{os.getpid()}"
    env = _environment(queue)
    rows = []
    _settle()
    # The figures depend on what else runs on the machine; the load average is printed beside them.
    print("load average before the HTTP measurements: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    # BENCH_LOAD=anchor,receive,lag,incidents,pages,backfill (the default: all) runs some of them.
    chosen = set(os.environ.get("BENCH_LOAD", "anchor,receive,lag,incidents,pages,backfill").split(","))
    # BENCH_OLD_DELIVERIES overrides how many old deliveries are present (small scale: none by default).
    old = _old_deliveries(int(os.environ.get("BENCH_OLD_DELIVERIES", plan.old_deliveries)))
    print(f"old deliveries present while the receiver is measured: {old:,}")
    try:
        if "anchor" in chosen:
            rows += measure_anchor(plan, env)
            _drop_queue(queue)
        if "receive" in chosen:
            rows += measure_receive(plan, env, old=old)
            # The drain stops once every delivery is applied; the tasks of those that other tasks' batches
            # applied are still queued, and would only find nothing to do.
            _drop_queue(queue)
        if "lag" in chosen:
            rows += measure_lag(plan, env)
        if "incidents" in chosen:
            rows += measure_incident_lag(plan, env)
        if "pages" in chosen:
            rows += measure_pages(plan, env)
        if "backfill" in chosen:
            rows += measure_backfill(plan)
        print("load average after them: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    finally:
        _drop_queue(queue)
    return rows
