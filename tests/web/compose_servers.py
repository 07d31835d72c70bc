"""docker-compose's servers started here without Docker: gunicorn with a service's own command, and nginx
with compose's own configuration (Debian's nginx, installed by `make test` as Chromium is), both on free
ports of 127.0.0.1 and stopped when the test is done."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from accountability.devtools.compose import compose, gunicorn_arguments
from tests.conftest import wait_until

NGINX = "/usr/sbin/nginx"
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "q8v1-production-like-secret-with-enough-length-and-variety-Zx93Kp0wLm",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "LEDGER_CHECKPOINT_KEY": "k3y-for-signing-ledger-checkpoints-in-this-test-only-7Hq2",
    "DJANGO_SECURE_SSL_REDIRECT": "0",  # TLS ends at the proxy in production
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthz_seconds(port: int, timeout: float = 5.0) -> float | None:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            response.read()
            return time.monotonic() - started if response.status == 200 else None
    except OSError:
        return None


@contextmanager
def compose_gunicorn(service: str, database_url: str, **environment: str):
    """gunicorn as compose's `service` runs it (its command), with the production settings above and
    `environment` on top; yields its port once every worker has answered."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(PRODUCTION, DATABASE_URL=database_url, **environment)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            *gunicorn_arguments(service),
            *("--bind", f"127.0.0.1:{port}"),
            "--no-control-socket",  # its default path is shared by every gunicorn of the machine
            *("--access-logfile", "/dev/null"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: healthz_seconds(port) is not None, timeout=60)
        for _ in range(20):  # each worker has answered once: its first request is not the one measured
            healthz_seconds(port)
        yield port
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing here needs to finish
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def compose_nginx(upstreams: dict[str, int]):
    """nginx with compose's configuration, each upstream service (`web`, `receiver`) at the port given
    for it; yields the port it listens on. Only addresses, ports and file paths are changed."""
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        conf = compose()["configs"]["nginx"]["content"].replace("$$", "$")  # compose's escape of `$`
        for service, upstream in upstreams.items():
            conf = conf.replace(f"server {service}:8000;", f"server 127.0.0.1:{upstream};")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
        conf = conf.replace("access_log /dev/stdout;", "access_log off;")
        # nginx's own scratch files, where its workers (nobody, when started as root) may write.
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temporary = "".join(f"{kind}_temp_path {directory}/{kind};" for kind in kinds)
        conf = conf.replace("http {", "http {" + temporary, 1)
        os.chmod(directory, 0o777)  # noqa: S103 - a throwaway directory of this test
        Path(directory, "nginx.conf").write_text(conf)
        process = subprocess.Popen(
            [
                NGINX,
                *("-p", directory, "-c", f"{directory}/nginx.conf"),
                *("-g", f"daemon off; pid {directory}/nginx.pid; error_log {directory}/error.log;"),
            ],
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: _listening(port), timeout=15)
            yield port
        finally:
            process.send_signal(signal.SIGQUIT)  # graceful: let answers in flight finish
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def slow_client(port: int, index: int, stop, *, hold: float, path: str = "/healthz") -> None:
    """Holds one connection until `stop` (a threading.Event), sending as little as a server will wait for:
    odd ones complete headers announcing a 1,000-byte body and one byte of it, even ones a header line a
    second, never ending them."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            if index % 2:
                conn.sendall(
                    b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx" % path.encode()
                )
                stop.wait(hold + 5)
                return
            conn.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path.encode())
            line = 0
            while not stop.wait(1.0):
                conn.sendall(b"X-Slow-%d: %d\r\n" % (line, line))
                line += 1
    except OSError:
        return  # the server closed it: that is one way of coping


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
