from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.models import MetricSnapshot
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role("viewer", username="manager"))
    return client


# One period for every snapshot of a test, whatever second each is created in.
END = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def snapshot(level, *, deployments, failures, enough, rate=None, low=None, high=None):
    end = END
    return MetricSnapshot.objects.create(
        scope="organisation",
        period_start=end - timedelta(days=30),
        period_end=end,
        ai_level=level,
        deployments=deployments,
        deploys_per_week=deployments / 4,
        failures=failures,
        failure_rate=rate,
        failure_rate_low=low,
        failure_rate_high=high,
        enough_data=enough,
        computed_at=end,
    )


def test_it_charts_failure_rates_with_their_interval_and_counts(manager_client):
    snapshot("none", deployments=200, failures=10, enough=True, rate=0.05, low=0.0274, high=0.0897)
    snapshot("generated", deployments=60, failures=9, enough=True, rate=0.15, low=0.0808, high=0.2613)

    body = manager_client.get("/review/metrics/").content.decode()

    assert "<svg" in body and 'class="whisker"' in body
    assert "15 % (9/60)" in body and "5 % (10/200)" in body
    assert "8\u201326 %" in body


def test_it_says_not_enough_data_below_the_minimum_sample(manager_client):
    snapshot("majority", deployments=3, failures=1, enough=False)

    body = manager_client.get("/review/metrics/").content.decode()

    assert "not enough data (1/3 deployments)" in body
    assert "33 %" not in body


def test_it_says_when_no_metrics_were_computed(manager_client):
    body = manager_client.get("/review/metrics/").content.decode()

    assert "Not computed yet" in body


def test_it_shows_an_earlier_period_when_asked(manager_client):
    current = snapshot("all", deployments=50, failures=5, enough=True, rate=0.1, low=0.04, high=0.21)
    end = current.period_start
    MetricSnapshot.objects.create(
        scope="organisation",
        period_start=end - timedelta(days=30),
        period_end=end,
        ai_level="all",
        deployments=80,
        deploys_per_week=20,
        failures=2,
        failure_rate=0.025,
        failure_rate_low=0.007,
        failure_rate_high=0.087,
        enough_data=True,
        computed_at=end,
    )

    latest = manager_client.get("/review/metrics/").content.decode()
    earlier = manager_client.get(
        "/review/metrics/", {"period": (end - timedelta(days=30)).date().isoformat()}
    ).content.decode()

    assert "(5/50)" in latest and "(2/80)" not in latest
    assert "(2/80)" in earlier and "(5/50)" not in earlier


def test_it_runs_the_same_number_of_queries_for_1_or_6_levels(manager_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    snapshot("all", deployments=50, failures=5, enough=True, rate=0.1, low=0.04, high=0.21)
    with CaptureQueriesContext(connection) as few:
        manager_client.get("/review/metrics/")
    for level in ("none", "assisted", "majority", "generated", "unknown"):
        snapshot(level, deployments=50, failures=5, enough=True, rate=0.1, low=0.04, high=0.21)
    with CaptureQueriesContext(connection) as many:
        body = manager_client.get("/review/metrics/").content.decode()
    assert body.count('class="whisker"') == 18
    assert len(many) == len(few)


def test_it_shows_what_the_ai_split_rests_on_for_the_period(manager_client):
    from tests.factories import AIProvenanceFactory, DeploymentFactory

    snapshot("all", deployments=4, failures=0, enough=False)
    within = END - timedelta(days=3)
    for confidence, level in [
        ("line_level", "assisted"),
        ("heuristic", "assisted"),
        ("heuristic", "generated"),
    ]:
        deployment = DeploymentFactory(finished_at=within)
        AIProvenanceFactory(change=deployment.change, confidence=confidence, level=level)
    DeploymentFactory(finished_at=within)  # never evaluated: unknown
    DeploymentFactory(finished_at=END - timedelta(days=60))  # another period

    body = manager_client.get("/review/metrics/").content.decode()

    assert "What the AI split rests on" in body
    assert "Provenance of the 4 changes deployed to production" in body
    assert '<td class="num">1</td><td class="num">25 %</td>' in body  # line-level, and unknown
    assert '<td class="num">2</td><td class="num">50 %</td>' in body  # heuristic only
