"""The metrics page: a rolling 90-day default computed now, the period control matching the chart, and one
sentence per comparison with Fisher's exact p."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    ServiceFactory,
    TeamFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role("viewer", username="manager"))
    return client


def ship(service, level, *, count, failed=0, days_ago=10):
    finished = timezone.now() - timedelta(days=days_ago)
    for n in range(count):
        change = ChangeFactory(service=service, merged_at=finished - timedelta(hours=3))
        AIProvenanceFactory(change=change, level=level)
        DeploymentFactory(
            change=change,
            status="rolled_back" if n < failed else "succeeded",
            finished_at=finished,
            started_at=finished - timedelta(minutes=5),
        )


def test_it_defaults_to_the_last_90_days_and_says_so(manager_client, settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 5
    service = ServiceFactory()
    ship(service, "none", count=10, failed=1, days_ago=80)
    ship(service, "none", count=10, days_ago=120)  # outside the default period

    body = manager_client.get("/review/metrics/").content.decode()

    assert '<option value="90d" selected>last 90 days</option>' in body
    assert "(1/10)" in body and "(1/20)" not in body


def test_it_compares_each_level_with_human_written_changes_in_one_sentence(manager_client, settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 5
    service = ServiceFactory()
    ship(service, "none", count=10, failed=1)
    ship(service, "generated", count=6, failed=5)
    ship(service, "assisted", count=2, failed=1)

    body = manager_client.get("/review/metrics/").content.decode()

    # Fisher's exact test on [[5, 1], [1, 9]]: p = 0.0080 (scipy.stats.fisher_exact agrees).
    assert "generated 83 % (" in body and "vs none 10 % (" in body
    assert "the difference is unlikely to be chance (Fisher&#x27;s exact p = 0.008)" in body
    assert "assisted (1/2 failed) vs none (1/10): not enough data to compare" in body
    assert "<svg" in body and 'class="whisker"' in body


def test_the_period_control_shows_the_period_of_the_chart_after_a_team_change(manager_client, settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 1
    team = TeamFactory(slug="payments", name="Payments")
    ship(ServiceFactory(owner_team=team), "none", count=3, days_ago=100)

    body = manager_client.get(
        "/review/metrics/", {"team": "payments", "period": "180d"}, headers={"HX-Request": "true"}
    ).content.decode()

    # The partial carries its own form: what the boxes say is what the chart shows.
    assert body.lstrip().startswith('<section id="metrics"')
    assert '<option value="180d" selected>' in body and '<option value="payments" selected>' in body
    assert "(the last 180 days)" in body and "(0/3)" in body


def test_it_drops_a_bad_period_for_the_default(manager_client):
    body = manager_client.get("/review/metrics/", {"period": "1y; drop table"}).content.decode()

    assert '<option value="90d" selected>' in body
    assert "No production deployment finished" in body


def test_it_counts_deployments_per_week_over_the_days_that_exist(manager_client, settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 1
    ship(ServiceFactory(), "none", count=14, days_ago=0)

    body = manager_client.get("/review/metrics/").content.decode()

    # 14 deployments today: the first data is today, so one day of a 90-day period, 98 a week.
    assert ">98.0<" in body


def test_it_shows_what_the_ai_split_rests_on_for_the_period(manager_client):
    within = timezone.now() - timedelta(days=3)
    for confidence, level in [
        ("line_level", "assisted"),
        ("heuristic", "assisted"),
        ("heuristic", "generated"),
    ]:
        deployment = DeploymentFactory(finished_at=within)
        AIProvenanceFactory(change=deployment.change, confidence=confidence, level=level)
    DeploymentFactory(finished_at=within)  # never evaluated: unknown
    DeploymentFactory(finished_at=timezone.now() - timedelta(days=200))  # outside the 90 days

    body = manager_client.get("/review/metrics/").content.decode()

    assert "What the AI split rests on" in body
    assert "Provenance of the 4 changes deployed to production" in body
    assert '<td class="num">1</td><td class="num">25 %</td>' in body  # line-level, and unknown
    assert '<td class="num">2</td><td class="num">50 %</td>' in body  # heuristic only
