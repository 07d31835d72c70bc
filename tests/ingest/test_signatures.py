"""How each sender authenticates, verified over the raw body before anything parses it."""

import base64
import json

import pytest

from accountability.ingest.models import Delivery, Source
from tests.factories import SourceFactory
from tests.ingest.conftest import SECRET, fixture_bytes, github_headers, post, sign

pytestmark = pytest.mark.django_db

PD_URL = "/webhooks/pagerduty/pd/"
CD_URL = "/webhooks/cdevents/cd/"
PD_EVENT = "pagerduty/developer-docs/webhooks-v3/wh-02-payload-incident.priority_updated.json"


@pytest.fixture
def pagerduty():
    return SourceFactory(kind=Source.Kind.PAGERDUTY, name="pd")


@pytest.fixture
def cdevents():
    return SourceFactory(kind=Source.Kind.CDEVENTS, name="cd")


def test_github_accepts_a_form_encoded_delivery(client):
    from urllib.parse import urlencode

    SourceFactory(kind=Source.Kind.GITHUB, name="gh")
    body = urlencode({"payload": fixture_bytes("github/push/00-event.json").decode()}).encode()
    response = post(
        client,
        "/webhooks/github/gh/",
        body,
        github_headers(body, event="push", delivery="1"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 202


def test_github_refuses_a_signature_of_another_body(client):
    SourceFactory(kind=Source.Kind.GITHUB, name="gh")
    body = fixture_bytes("github/push/00-event.json")
    headers = github_headers(body + b" ", event="push", delivery="1")
    assert post(client, "/webhooks/github/gh/", body, headers).status_code == 401


def test_pagerduty_accepts_its_signature_and_stores_the_event_id(client, pagerduty):
    body = fixture_bytes(PD_EVENT)
    response = post(client, PD_URL, body, {"HTTP_X_PAGERDUTY_SIGNATURE": f"v1={sign(body)}"})
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.external_id, delivery.event_type) == (
        "5ac64822-4adc-4fda-ade0-410becf0de4f",
        "incident.priority_updated",
    )


def test_pagerduty_accepts_any_of_several_signatures_during_secret_rotation(client, pagerduty):
    body = fixture_bytes(PD_EVENT)
    header = f"v1={sign(body, 'the-old-secret')},v1={sign(body)}"
    assert post(client, PD_URL, body, {"HTTP_X_PAGERDUTY_SIGNATURE": header}).status_code == 202


def test_pagerduty_refuses_when_no_listed_signature_matches(client, pagerduty):
    body = fixture_bytes(PD_EVENT)
    header = f"v1={sign(body, 'old')}, v1={sign(body, 'older')}, v0={sign(body)}"
    assert post(client, PD_URL, body, {"HTTP_X_PAGERDUTY_SIGNATURE": header}).status_code == 401
    assert not Delivery.objects.exists()


def test_pagerduty_answers_400_to_an_events_api_body(client, pagerduty):
    body = fixture_bytes("pagerduty/developer-docs/events-v2-trigger/trigger-01-trigger.json")
    response = post(client, PD_URL, body, {"HTTP_X_PAGERDUTY_SIGNATURE": f"v1={sign(body)}"})
    assert response.status_code == 400
    assert response.json()["error"] == (
        "this is an Events API v2 body (sent to PagerDuty), not a Webhooks V3 payload"
    )


def test_cdevents_accepts_a_bearer_token(client, cdevents):
    body = fixture_bytes("cdevents/service_deployed.json")
    response = post(client, CD_URL, body, {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"})
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.event_type == "dev.cdevents.service.deployed.0.3.0"
    assert delivery.external_id == "/event/source/123|271069a8-fc18-44f1-b38f-9d70a1695819|service.deployed"
    assert "authorization" not in delivery.headers  # credentials are never stored


def test_cdevents_refuses_a_wrong_bearer_token(client, cdevents):
    body = fixture_bytes("cdevents/service_deployed.json")
    assert post(client, CD_URL, body, {"HTTP_AUTHORIZATION": "Bearer guess"}).status_code == 401


def test_cdevents_accepts_an_hmac_of_the_body(client, cdevents):
    body = fixture_bytes("cdevents/incident_detected.json")
    assert post(client, CD_URL, body, {"HTTP_X_SIGNATURE_256": f"sha256={sign(body)}"}).status_code == 202


def test_cdevents_accepts_cloudevents_structured_mode(client, cdevents):
    cdevent = json.loads(fixture_bytes("cdevents/service_deployed.json"))
    envelope = {
        "specversion": "1.0",
        "id": cdevent["context"]["id"],
        "source": cdevent["context"]["source"],
        "type": cdevent["context"]["type"],
        "datacontenttype": "application/json",
        "data": cdevent,
    }
    body = json.dumps(envelope).encode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"}
    response = post(client, CD_URL, body, headers, content_type="application/cloudevents+json")
    assert response.status_code == 202
    assert Delivery.objects.get().event_type == "dev.cdevents.service.deployed.0.3.0"


def test_cdevents_accepts_structured_mode_with_base64_data(client, cdevents):
    cdevent = fixture_bytes("cdevents/artifact_signed.json")
    body = json.dumps(
        {"specversion": "1.0", "id": "x", "data_base64": base64.b64encode(cdevent).decode()}
    ).encode()
    response = post(client, CD_URL, body, {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"})
    assert response.status_code == 202
    assert Delivery.objects.get().event_type == "dev.cdevents.artifact.signed.0.3.0"


def test_cdevents_accepts_cloudevents_binary_mode(client, cdevents):
    body = fixture_bytes("cdevents/pipelinerun_finished.json")
    headers = {
        "HTTP_CE_SPECVERSION": "1.0",
        "HTTP_CE_ID": "271069a8-fc18-44f1-b38f-9d70a1695819",
        "HTTP_CE_SOURCE": "/event/source/123",
        "HTTP_CE_TYPE": "dev.cdevents.pipelinerun.finished.0.3.0",
        "HTTP_X_SIGNATURE_256": f"sha256={sign(body)}",
    }
    response = post(client, CD_URL, body, headers)
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.headers["ce-type"] == "dev.cdevents.pipelinerun.finished.0.3.0"


def test_cdevents_answers_400_to_a_cloudevent_that_is_no_cdevent(client, cdevents):
    body = json.dumps(
        {"specversion": "1.0", "id": "1", "type": "com.example.thing", "data": {"a": 1}}
    ).encode()
    response = post(client, CD_URL, body, {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"})
    assert response.status_code == 400
    assert response.json()["error"] == "context is missing"


@pytest.mark.parametrize(
    ("capture", "event_type"),
    [
        ("github/pull_request/real-closed-merged.ailisp-reallyfastci", "pull_request.closed"),
        ("github/push/real-push-to-master.ailisp-reallyfastci", "push"),
    ],
)
def test_github_accepts_a_real_capture_with_its_headers(client, capture, event_type):
    """The body and headers GitHub sent (captured by webhook.site), signed with our secret."""
    SourceFactory(kind=Source.Kind.GITHUB, name="gh")
    body = fixture_bytes(f"{capture}.json")
    lines = fixture_bytes(f"{capture}.headers.txt").decode().splitlines()
    captured = dict((name.strip(), value.strip()) for name, value in (line.split("\t", 1) for line in lines))
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in captured.items()
        if name not in ("content-length", "content-type", "host", "connection")
    }
    headers["HTTP_X_HUB_SIGNATURE_256"] = f"sha256={sign(body)}"
    response = post(client, "/webhooks/github/gh/", body, headers)
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.external_id == captured["x-github-delivery"]
    assert delivery.event_type == event_type
    assert delivery.headers["user-agent"] == "GitHub-Hookshot/87e258b"
