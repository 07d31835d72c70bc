"""Suspects are ranked the moment an incident arrives, a deployment lands in its window or a verdict is
given — by a real worker, without the beat (issue 15: they appeared only at the next beat, 2 minutes
later, and never without one)."""

import json
import math
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.changes.models import Deployment
from accountability.incidents.models import Incident, SuspectChange
from accountability.ingest.models import Delivery, Source
from tests.conftest import wait_until
from tests.factories import ChangeFactory, DeploymentFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import cdevents_headers, fixture_json, pagerduty_headers, post

pytestmark = pytest.mark.integration

WEBHOOK = "pagerduty/developer-docs/webhooks-v3/wh-02-payload-incident.priority_updated.json"
# The measurement's size: 10 in the suite; `make bench` may ask for more (each takes about 2-3 s).
SAMPLES = int(os.environ.get("SUSPECTS_LATENCY_SAMPLES", "10"))
TARGET_P99_SECONDS = 5.0  # issue 15, with one worker


def _worker_ready(client) -> None:
    """A first delivery, waited for: the worker takes tens of seconds to start on a busy machine, which
    is not what is measured."""
    body = json.dumps(fixture_json("pagerduty/developer-docs/webhooks-v3/wh-03-payload-service.updated.json"))
    post(client, "/webhooks/pagerduty/pd/", body.encode(), pagerduty_headers(body.encode()))
    wait_until(lambda: not Delivery.objects.filter(status=Delivery.Status.PENDING).exists(), timeout=120)


def _pagerduty_incident(*, started_at, number: int = 0) -> bytes:
    payload = fixture_json(WEBHOOK)
    payload["event"]["id"] = f"event-{number}"
    payload["event"]["occurred_at"] = started_at.isoformat()
    payload["event"]["data"]["id"] = f"PINC{number}"
    payload["event"]["data"]["created_at"] = started_at.isoformat()
    return json.dumps(payload).encode()


def test_suspects_appear_after_a_signed_pagerduty_delivery_without_the_beat(client, celery_worker_process):
    SourceFactory(kind=Source.Kind.PAGERDUTY, name="pd")
    _worker_ready(client)
    api = ServiceFactory(slug="api", pagerduty_service_id="PF9KMXH")
    started_at = timezone.now() - timedelta(minutes=5)
    culprit = ChangeFactory(service=api)
    DeploymentFactory(
        change=culprit,
        environment="production",
        status=Deployment.Status.SUCCEEDED,
        started_at=started_at - timedelta(minutes=12),
        finished_at=started_at - timedelta(minutes=10),
    )

    latencies = []
    for number in range(SAMPLES):
        body = _pagerduty_incident(started_at=started_at, number=number)
        sent = time.monotonic()
        response = post(client, "/webhooks/pagerduty/pd/", body, pagerduty_headers(body))
        assert response.status_code == 202
        suspect = wait_until(
            lambda n=number: SuspectChange.objects.filter(
                change=culprit, incident__external_id=f"PINC{n}"
            ).first(),
            timeout=30,
            interval=0.05,
        )
        latencies.append(time.monotonic() - sent)
        assert suspect.rank == 1

    latencies.sort()
    # Nearest rank: with fewer than 100 samples the p99 is the worst one.
    p50, p99, worst = latencies[len(latencies) // 2], latencies[math.ceil(0.99 * SAMPLES) - 1], latencies[-1]
    met = "yes" if p99 <= TARGET_P99_SECONDS else "NO"
    print(
        f"\nincident delivered -> suspects visible p50 / p99 / max, 1 worker, {SAMPLES} incidents"
        f"    p99 <= {TARGET_P99_SECONDS:.0f} s    {p50:.2f} / {p99:.2f} / {worst:.2f} s    {met}"
    )
    # The debounce is 1 s; the rest is the worker. The beat would have taken up to 2 minutes.
    assert worst < 15, f"suspects visible {worst:.1f} s after the delivery"


def test_a_deployment_in_an_open_incidents_window_re_ranks_it(client, celery_worker_process):
    SourceFactory(kind=Source.Kind.CDEVENTS, name="cd")
    SourceFactory(kind=Source.Kind.PAGERDUTY, name="pd")
    _worker_ready(client)
    api = ServiceFactory(slug="api", name="api")
    incident = Incident.objects.create(
        source="pagerduty",
        external_id="P1",
        title="Errors",
        started_at=timezone.now() + timedelta(minutes=1),
        environment="production",
    )
    incident.services.add(api)

    event = fixture_json("cdevents/service_deployed.json")
    event["context"]["timestamp"] = timezone.now().isoformat()
    event["subject"]["id"] = "api"
    event["subject"]["content"]["environment"]["id"] = "production"
    event["subject"]["content"]["artifactId"] = "pkg:oci/api@sha256%3A" + "ab" * 32
    body = json.dumps(event).encode()
    response = post(client, "/webhooks/cdevents/cd/", body, cdevents_headers(body))
    assert response.status_code == 202

    suspect = wait_until(lambda: SuspectChange.objects.filter(incident=incident).first(), timeout=30)
    assert suspect.change.service == api
