"""/metrics: the product's own pager signals in Prometheus' format, for a monitor and nobody else."""

import json
import re
from datetime import timedelta

import pytest
import yaml
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accountability.ingest.models import Delivery, Source
from tests.factories import DeliveryFactory, GateDecisionFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = "scrape-me"
    return "scrape-me"


def samples(response) -> dict:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_it_reports_what_waits_how_old_the_oldest_is_and_what_failed(client, token):
    github = SourceFactory(kind=Source.Kind.GITHUB, name="github-main")
    old = DeliveryFactory(source=github, status=Delivery.Status.PENDING)
    Delivery.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(minutes=7))
    DeliveryFactory(source=github, status=Delivery.Status.PENDING)
    DeliveryFactory(source=github, status=Delivery.Status.FAILED)
    DeliveryFactory(source=github, status=Delivery.Status.PROCESSED)
    GateDecisionFactory(decision="deny")

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    found = samples(response)
    labels = (("kind", "github"), ("source", "github-main"))
    assert found[("accountability_deliveries_pending", (*labels[:1], ("measure", "count"), labels[1]))] == 2
    oldest = found[
        ("accountability_deliveries_pending", (*labels[:1], ("measure", "oldest_age_seconds"), labels[1]))
    ]
    assert 7 * 60 <= oldest < 9 * 60
    assert found[("accountability_deliveries_failed", labels)] == 1
    assert found[("accountability_gate_decisions_last_hour", (("decision", "deny"),))] == 1
    assert found[("accountability_outbox_oldest_pending_age_seconds", ())] == 0


def test_it_refuses_a_scrape_without_the_token(client, token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_it_answers_an_allowed_address_without_a_token(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.9"]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.10").status_code == 403


def test_with_nothing_configured_nobody_scrapes(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_the_alert_rules_name_series_the_endpoint_exports(client, token, settings):
    rules = yaml.safe_load((settings.BASE_DIR / "docs/monitoring/alerts.yml").read_text())["groups"][0][
        "rules"
    ]
    exported = {
        family.name
        for family in text_string_to_metric_families(
            client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
        )
    }
    for rule in rules:
        assert any(name in rule["expr"] for name in exported), rule["alert"]


def test_every_grafana_panel_queries_series_the_endpoint_exports(client, token, settings):
    client.get("/healthz")  # one request measured, so the latency histogram has a sample
    exported = {
        family.name
        for family in text_string_to_metric_families(
            client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
        )
    }
    dashboard = json.loads((settings.BASE_DIR / "docs/monitoring/grafana-dashboard.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(expressions) >= 10
    for expression in expressions:
        # Histograms and counters are exported as families whose samples add _bucket, _count, _total.
        names = set(re.findall(r"accountability_[a-z_]+", expression))
        assert names, expression
        for name in names:
            assert re.sub(r"_(bucket|count|sum|total)$", "", name) in exported, expression
