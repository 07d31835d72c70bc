"""nginx with docker-compose's own configuration in front of the webhook receiver (issue 19).

Production sends `/webhooks/` to the receiver's gunicorn sync workers (what `make bench` measures) and the
rest to `web`. Here nginx runs with compose's configuration and the receiver with compose's command, against
this test's database as the app's own role: a signed delivery through nginx is stored by the receiver while
`web` is down (so nginx routed it), and slow senders that would hold every sync worker of a receiver reached
directly hold only nginx connections when they come through it.
"""

import hashlib
import hmac
import http.client
import json
import threading
import time
import uuid

import pytest
from django.conf import settings

from accountability.ingest.models import Delivery, Source
from accountability.ingest.receiving import source_create
from tests.web.compose_servers import compose_gunicorn, compose_nginx, free_port, slow_client

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "nginx-receiver-test-secret"
BODY = (settings.BASE_DIR / "tests/fixtures/github/deployment/00-created.json").read_bytes()
SLOW_CLIENTS = 50
HOLD_SECONDS = 6


@pytest.fixture(scope="module")
def receiver(app_database_url):
    # The test's own key: the sources' secrets it writes are encrypted under it.
    with compose_gunicorn("receiver", app_database_url, DJANGO_SECRET_KEY=settings.SECRET_KEY) as port:
        yield port


@pytest.fixture
def source(transactional_db):
    # A name of each test's own: the receiver keeps sources a few seconds, across the flush between tests.
    return source_create(kind=Source.Kind.GITHUB, name=f"nginx-{uuid.uuid4().hex[:8]}", secret=SECRET)


def post_delivery(
    port: int, source: Source, delivery: str, *, timeout: float = 5.0
) -> tuple[int, dict, float]:
    """A signed GitHub deployment delivery; (status, JSON answer, seconds) or (0, {}, seconds) unanswered."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            f"/webhooks/github/{source.name}/",
            body=BODY,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "deployment",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": "sha256="
                + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),
            },
        )
        response = connection.getresponse()
        answer = response.read()
        return response.status, json.loads(answer or b"{}"), time.monotonic() - started
    except OSError:
        return 0, {}, time.monotonic() - started
    finally:
        connection.close()


def get_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_nginx_sends_webhooks_to_the_receiver_and_the_rest_to_web(receiver, source):
    web = free_port()  # nothing listens there: whatever nginx sends to web fails
    with compose_nginx({"receiver": receiver, "web": web}) as proxy:
        status, answer, _ = post_delivery(proxy, source, "through-nginx-1")
        assert (status, answer["status"]) == (202, "accepted")
        stored = Delivery.objects.get(source=source, external_id="through-nginx-1")
        assert stored.body == BODY
        assert get_status(proxy, "/healthz") == 502  # web's, down
        assert get_status(receiver, "/healthz") == 200  # the receiver itself is up
        assert get_status(proxy, f"/webhooks/github/{source.name}/") == 405  # the receiver's answer to a GET


def test_slow_senders_hold_nginx_connections_not_the_receivers_workers(receiver, source):
    def hold(port: int, count: int) -> threading.Event:
        stop = threading.Event()
        for index in range(count):
            threading.Thread(
                target=slow_client,
                args=(port, index, stop),
                kwargs={"hold": HOLD_SECONDS, "path": f"/webhooks/github/{source.name}/"},
                daemon=True,
            ).start()
        time.sleep(1.0)  # every slow client is connected and has sent its first bytes
        return stop

    # Reached directly, a handful of slow senders hold all four sync workers: why the receiver is never
    # published, and what makes the next part a test.
    stop = hold(receiver, 8)
    try:
        status, _, seconds = post_delivery(receiver, source, "direct-1", timeout=2.0)
    finally:
        stop.set()
    assert status == 0, f"answered {status} in {seconds:.2f} s with every worker held"

    with compose_nginx({"receiver": receiver, "web": free_port()}) as proxy:
        stop = hold(proxy, SLOW_CLIENTS)
        answers = []
        try:
            deadline = time.monotonic() + HOLD_SECONDS
            while time.monotonic() < deadline:
                answers.append(post_delivery(proxy, source, f"through-nginx-{len(answers)}", timeout=5.0))
                time.sleep(0.25)
        finally:
            stop.set()
    print(
        f"\n{len(answers)} deliveries through nginx with {SLOW_CLIENTS} slow senders: "
        + " ".join(f"{status}/{seconds:.2f}s" for status, _, seconds in answers)
    )
    assert [status for status, _, _ in answers] == [202] * len(answers)
    assert max(seconds for _, _, seconds in answers) < 1.0
    assert Delivery.objects.filter(source=source, external_id__startswith="through-nginx-").count() == len(
        answers
    )
