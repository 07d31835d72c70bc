"""CDEvents signed the Standard Webhooks way (a signed timestamp): refused outside the time window, so a
captured delivery cannot be replayed later; within the window a replay is a duplicate that changes nothing."""

import base64
import hashlib
import hmac
import re
import time

import pytest

from accountability.ingest.models import Delivery, Source
from tests.factories import SourceFactory
from tests.ingest.conftest import SECRET, fixture_bytes, post

pytestmark = pytest.mark.django_db

URL = "/webhooks/cdevents/cd/"
BODY = fixture_bytes("cdevents/service_deployed.json")


@pytest.fixture
def cdevents():
    return SourceFactory(kind=Source.Kind.CDEVENTS, name="cd")


def standard_headers(
    body: bytes, *, sent_at: float, key: bytes = SECRET.encode(), message_id="msg_1"
) -> dict:
    timestamp = str(int(sent_at))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": timestamp,
        "HTTP_WEBHOOK_SIGNATURE": f"v1,{base64.b64encode(digest).decode()}",
    }


def test_it_accepts_a_delivery_signed_now(client, cdevents):
    response = post(client, URL, BODY, standard_headers(BODY, sent_at=time.time()))

    assert response.status_code == 202
    assert Delivery.objects.filter(source=cdevents).count() == 1


@pytest.mark.parametrize(("offset", "when"), [(-600, "past"), (600, "future")])
def test_it_refuses_a_validly_signed_delivery_outside_the_window(client, cdevents, offset, when):
    response = post(client, URL, BODY, standard_headers(BODY, sent_at=time.time() + offset))

    assert response.status_code == 401
    assert re.fullmatch(
        rf"webhook-timestamp is (599|600|601) s in the {when}, outside the allowed 300 s: "
        "a replayed or delayed delivery is refused",
        response.json()["error"],
    )
    assert not Delivery.objects.exists()


def test_it_answers_a_replay_within_the_window_as_a_duplicate(client, cdevents):
    headers = standard_headers(BODY, sent_at=time.time())
    assert post(client, URL, BODY, headers).status_code == 202

    replay = post(client, URL, BODY, headers)

    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate"
    assert Delivery.objects.count() == 1


def test_it_refuses_a_timestamp_changed_to_look_recent(client, cdevents):
    headers = standard_headers(BODY, sent_at=time.time() - 3600)
    headers["HTTP_WEBHOOK_TIMESTAMP"] = str(int(time.time()))

    response = post(client, URL, BODY, headers)

    assert response.status_code == 401
    assert "matches none of the v1 signatures" in response.json()["error"]


def test_it_accepts_any_listed_signature_and_a_whsec_secret(client):
    key = b"0123456789abcdef0123456789abcdef"
    SourceFactory(kind=Source.Kind.CDEVENTS, name="cd", secret="whsec_" + base64.b64encode(key).decode())
    headers = standard_headers(BODY, sent_at=time.time(), key=key)
    headers["HTTP_WEBHOOK_SIGNATURE"] = "v1,b2xkLXNlY3JldA== " + headers["HTTP_WEBHOOK_SIGNATURE"]

    assert post(client, URL, BODY, headers).status_code == 202


def test_it_refuses_a_timestamp_that_is_not_a_number(client, cdevents):
    headers = standard_headers(BODY, sent_at=time.time())
    headers["HTTP_WEBHOOK_TIMESTAMP"] = "yesterday"
    digest = hmac.new(SECRET.encode(), b"msg_1.yesterday." + BODY, hashlib.sha256).digest()
    headers["HTTP_WEBHOOK_SIGNATURE"] = f"v1,{base64.b64encode(digest).decode()}"

    response = post(client, URL, BODY, headers)

    assert response.status_code == 401
    assert response.json()["error"] == "webhook-timestamp is not a Unix time in seconds"
