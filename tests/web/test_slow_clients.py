"""/healthz answers within a second while 50 slow clients hold connections (issues 14 and 19).

The production shape: nginx with docker-compose's configuration in front of gunicorn with compose's `web`
command (sync workers), against this test's database as the app's own role. Half the slow clients trickle
their headers one line a second and never end them; the other half send complete headers announcing a body,
and one byte of it. Meanwhile /healthz is asked every quarter second. Everything is bounded: the clients,
nginx and gunicorn stop with the test. (Slow clients straight at a sync worker hold it:
tests/web/test_nginx_receiver.py shows it, which is why gunicorn is never published.)
"""

import json
import statistics
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.web.compose_servers import compose_gunicorn, compose_nginx, free_port, healthz_seconds, slow_client

pytestmark = pytest.mark.django_db

SLOW_CLIENTS = 50
HOLD_SECONDS = 8


@pytest.fixture
def proxy(app_database_url):
    """nginx's port, in front of web (the receiver, not needed here, is left down)."""
    with (
        compose_gunicorn("web", app_database_url) as web,
        compose_nginx({"web": web, "receiver": free_port()}) as proxy,
    ):
        yield proxy


def test_healthz_answers_within_a_second_while_50_slow_clients_hold_connections(proxy):
    stop = threading.Event()
    clients = [
        threading.Thread(
            target=slow_client, args=(proxy, index, stop), kwargs={"hold": HOLD_SECONDS}, daemon=True
        )
        for index in range(SLOW_CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(1.0)  # every slow client is connected and has sent its first bytes
    answers = []
    try:
        deadline = time.monotonic() + HOLD_SECONDS
        while time.monotonic() < deadline:
            answers.append(healthz_seconds(proxy, timeout=5.0))
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


def test_the_same_server_reads_request_bodies_and_answers_the_api(proxy):
    """The same servers serve the app, not only /healthz: a POST's body is read (a bad token is 401 in
    JSON, not a 500) and the OpenAPI document is served. Pages are not asked here: production settings
    serve static files from the manifest `collectstatic` writes when the image is built."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{proxy}/api/v1/gate",
        data=json.dumps({"service": "payments", "sha": "ab" * 20}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer acc_wrong_token"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - http to our own test server
    assert refused.value.code == 401
    assert "API token is required" in json.loads(refused.value.read())["message"]
    with urllib.request.urlopen(f"http://127.0.0.1:{proxy}/api/v1/openapi.json", timeout=10) as response:
        assert json.loads(response.read())["info"]["title"] == "Accountability API"
