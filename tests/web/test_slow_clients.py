"""/healthz answers within a second while 50 slow clients hold connections to gunicorn (issue 14).

gunicorn runs with the worker options of docker-compose's `web` service (the production shape), against
this test's database as the app's own role. Half the slow clients trickle their headers one line a second
and never end them; the other half send complete headers announcing a body, and one byte of it. Meanwhile
/healthz is asked every quarter second. Everything is bounded: the clients and gunicorn stop with the test.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from accountability.devtools.compose import compose, gunicorn_arguments
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db

SLOW_CLIENTS = 50
HOLD_SECONDS = 8
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "q8v1-production-like-secret-with-enough-length-and-variety-Zx93Kp0wLm",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "LEDGER_CHECKPOINT_KEY": "k3y-for-signing-ledger-checkpoints-in-this-test-only-7Hq2",
    "DJANGO_SECURE_SSL_REDIRECT": "0",  # TLS ends at the proxy in production
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(app_database_url):
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(PRODUCTION, DATABASE_URL=app_database_url)
    web_environment = compose()["services"]["web"].get("environment", {})
    if "DATABASE_CONN_MAX_AGE" in web_environment:  # the web service's own, as compose sets it
        env["DATABASE_CONN_MAX_AGE"] = web_environment["DATABASE_CONN_MAX_AGE"]
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            *gunicorn_arguments("web"),
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


def healthz_seconds(port: int, timeout: float = 5.0) -> float | None:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            response.read()
            return time.monotonic() - started if response.status == 200 else None
    except OSError:
        return None


def slow_client(port: int, index: int, stop: threading.Event) -> None:
    """Holds one connection until `stop`, sending as little as a server will wait for."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            if index % 2:
                conn.sendall(b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx")
                stop.wait(HOLD_SECONDS + 5)
                return
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            line = 0
            while not stop.wait(1.0):
                conn.sendall(b"X-Slow-%d: %d\r\n" % (line, line))
                line += 1
    except OSError:
        return  # the server closed it: that is one way of coping


def test_healthz_answers_within_a_second_while_50_slow_clients_hold_connections(gunicorn):
    stop = threading.Event()
    clients = [
        threading.Thread(target=slow_client, args=(gunicorn, index, stop), daemon=True)
        for index in range(SLOW_CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(1.0)  # every slow client is connected and has sent its first bytes
    answers = []
    try:
        deadline = time.monotonic() + HOLD_SECONDS
        while time.monotonic() < deadline:
            answers.append(healthz_seconds(gunicorn, timeout=5.0))
            time.sleep(0.25)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)

    answered = sorted(seconds for seconds in answers if seconds is not None)
    print(
        f"\n/healthz with {SLOW_CLIENTS} slow clients: {len(answered)}/{len(answers)} answered, "
        f"p50 {statistics.median(answered) * 1000 if answered else float('nan'):.0f} ms, "
        f"max {answered[-1] * 1000 if answered else float('nan'):.0f} ms; in order (s): "
        + " ".join("-" if seconds is None else f"{seconds:.2f}" for seconds in answers)
    )
    assert len(answered) == len(answers), f"{len(answers) - len(answered)} of {len(answers)} unanswered"
    assert answered[-1] < 1.0


def test_the_same_server_reads_request_bodies_and_answers_the_api(gunicorn):
    """The asgi worker serves the app, not only /healthz: a POST's body is read (a bad token is 401 in
    JSON, not a 500) and the OpenAPI document is served. Pages are not asked here: production settings
    serve static files from the manifest `collectstatic` writes when the image is built."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{gunicorn}/api/v1/gate",
        data=json.dumps({"service": "payments", "sha": "ab" * 20}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer acc_wrong_token"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - http to our own test server
    assert refused.value.code == 401
    assert "API token is required" in json.loads(refused.value.read())["message"]
    with urllib.request.urlopen(f"http://127.0.0.1:{gunicorn}/api/v1/openapi.json", timeout=10) as response:
        assert json.loads(response.read())["info"]["title"] == "Accountability API"
