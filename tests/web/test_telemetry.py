"""What the product reports about itself as it works: request ids in answers and logs, latency and task
series in /metrics, one delivery followed from the receiver to the worker that applied it."""

import json
import logging
import re

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from accountability.ingest.models import Delivery, Source
from accountability.logs import RequestIdFilter
from tests.conftest import wait_until
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import fixture_bytes, github_headers

PUSH = "github/push/real-push-to-master.ailisp-reallyfastci.json"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = "scrape-me"
    return "scrape-me"


def scrape(client, token) -> dict:
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.django_db
def test_every_answer_names_its_request_keeping_a_proxys_plausible_id(client):
    assert (
        client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c01").headers["X-Request-ID"] == "edge-7f3a9c01"
    )
    # An id that could forge a log line or a header is replaced by one of ours.
    made = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-ID"] != made


@pytest.mark.django_db
def test_request_latency_is_counted_by_url_pattern_and_status_class(client, token):
    def healthz_answers() -> float:
        key = (
            "accountability_http_request_duration_seconds_count",
            (("method", "GET"), ("route", "/healthz"), ("status", "2xx")),
        )
        return scrape(client, token).get(key, 0)

    before = healthz_answers()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no/such/page/123")

    assert healthz_answers() == before + 3
    unmatched = scrape(client, token)
    assert any(
        name == "accountability_http_request_duration_seconds_count" and ("route", "unmatched") in labels
        for name, labels in unmatched
    )
    # Paths with ids never become series of their own.
    assert not any("123" in value for _, labels in unmatched for _, value in labels)


@pytest.mark.integration
def test_a_delivery_is_followed_from_the_receiver_to_the_worker_in_json_logs_and_metrics(
    transactional_db, tmp_path, monkeypatch, token, capfd, request
):
    # The worker writes its series to the shared directory and logs JSON; /metrics here sums the files.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_FORMAT", "json")
    request.getfixturevalue("celery_worker_process")
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    source = SourceFactory(kind=Source.Kind.GITHUB, name="github-main")
    body = fixture_bytes(PUSH)

    answer = Client().generic(
        "POST",
        f"/webhooks/github/{source.name}/",
        body,
        content_type="application/json",
        HTTP_X_REQUEST_ID="edge-followme-01",
        **github_headers(body, event="push", delivery="followed-1"),
    )

    assert answer.status_code == 202
    assert answer.headers["X-Request-ID"] == "edge-followme-01"
    delivery_id = answer.json()["delivery"]
    wait_until(lambda: Delivery.objects.get(pk=delivery_id).status != Delivery.Status.PENDING, timeout=60)

    seen: list[str] = []  # readouterr() hands each line once

    def worker_line():
        seen.extend(capfd.readouterr().err.splitlines())
        for line in seen:
            if line.startswith("{") and f"delivery {delivery_id} " in line:
                return json.loads(line)
        return None

    entry = wait_until(worker_line, timeout=20)
    assert entry["request_id"] == "edge-followme-01"
    assert entry["logger"] == "accountability.ingest.processing"
    assert entry["level"] == "INFO"

    found = scrape(Client(), token)
    assert found[("accountability_delivery_apply_latency_seconds_count", (("kind", "github"),))] >= 1
    assert any(
        name == "accountability_task_duration_seconds_count" and value >= 1
        for (name, _), value in found.items()
    )


@pytest.mark.django_db
def test_djangos_own_line_about_a_refused_request_carries_its_id(client):
    lines = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = lines.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        answer = client.post(
            "/webhooks/github/nobody/",
            b"{}",
            content_type="application/json",
            HTTP_X_REQUEST_ID="edge-refused-0001",
        )
    finally:
        logger.removeHandler(handler)

    assert answer.status_code == 404
    assert [(record.levelname, record.request_id) for record in lines] == [("WARNING", "edge-refused-0001")]
