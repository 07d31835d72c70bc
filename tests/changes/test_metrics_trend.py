"""The metrics page's weekly trend: deployments and change failure rate by AI level for the last 12 weeks,
drawn as server-side SVG with a title, a description and a table of every count."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accountability.analysis.trends import week_start, weekly_trend
from accountability.incidents.models import SuspectChange
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    IncidentFactory,
    ServiceFactory,
    SuspectChangeFactory,
    TeamFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role("viewer", username="manager"))
    return client


def ship(service, level, *, count, failed=0, at):
    changes = []
    for n in range(count):
        change = ChangeFactory(service=service, merged_at=at - timedelta(hours=3))
        AIProvenanceFactory(change=change, level=level)
        DeploymentFactory(
            change=change,
            status="rolled_back" if n < failed else "succeeded",
            finished_at=at,
            started_at=at - timedelta(minutes=5),
        )
        changes.append(change)
    return changes


def test_weeks_start_on_monday_utc():
    assert week_start(datetime(2026, 12, 2, 8, 30, tzinfo=UTC)) == datetime(2026, 11, 30, tzinfo=UTC)
    assert week_start(datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == datetime(2026, 11, 30, tzinfo=UTC)


def test_it_counts_each_week_and_level_and_rates_only_from_the_minimum():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
    service = ServiceFactory()
    ship(service, "generated", count=5, failed=2, at=now - timedelta(days=1))  # this week
    ship(service, "none", count=3, failed=0, at=now - timedelta(days=8))  # last week
    caused = ship(service, "none", count=1, at=now - timedelta(days=8))[0]
    SuspectChangeFactory(incident=IncidentFactory(), change=caused, verdict=SuspectChange.Verdict.CONFIRMED)
    ship(service, "none", count=4, at=now - timedelta(weeks=13))  # before the 12 weeks
    DeploymentFactory(change=ChangeFactory(service=service), environment="staging", finished_at=now)

    weeks = weekly_trend(now=now, minimum=4)

    assert len(weeks) == 12 and weeks[-1].partial and not weeks[-2].partial
    assert weeks[-1].start == datetime(2026, 11, 30, tzinfo=UTC)
    this, last = weeks[-1], weeks[-2]
    assert (this.deployments, this.failures) == (5, 2)
    assert (this.levels["generated"].rate, this.levels["none"].rate) == (0.4, None)
    assert (last.deployments, last.failures) == (4, 1)
    assert last.levels["none"].rate == 0.25
    assert sum(week.deployments for week in weeks[:-2]) == 0


def test_it_follows_the_team_filter():
    now = timezone.now()
    payments = TeamFactory(slug="payments")
    ship(ServiceFactory(owner_team=payments), "none", count=2, at=now - timedelta(hours=1))
    ship(ServiceFactory(), "none", count=3, at=now - timedelta(hours=1))

    assert weekly_trend(now=now, minimum=1, team_id=payments.pk)[-1].deployments == 2
    assert weekly_trend(now=now, minimum=1)[-1].deployments == 5


def test_the_page_draws_both_charts_with_a_title_a_description_and_a_table(manager_client, settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 3
    service = ServiceFactory()
    now = timezone.now()
    ship(service, "generated", count=4, failed=1, at=now - timedelta(days=14))
    ship(service, "none", count=2, at=now - timedelta(days=14))

    body = manager_client.get("/review/metrics/").content.decode()

    trend = body[body.index('id="trend-h"') :]
    assert '<title id="deploys-title">Production deployments per week</title>' in trend
    assert '<title id="rates-title">Change failure rate per week by AI level</title>' in trend
    week = week_start(now - timedelta(days=14)).strftime("%Y-%m-%d")
    assert f"Week of {week}: 6" in trend  # the deployments chart's description
    assert f"generated, week of {week}: 25% (1/4)" in trend  # a point and the rates' description
    assert "none, week of" not in trend  # 2 deployments: below the minimum, no point
    row = re.search(rf"<td class=\"nowrap\">{week}.*?</tr>", trend, re.S).group(0)
    assert '<td class="num">6</td>' in row and "25 % <span" in row and "0/2" in row
    assert trend.count('<g class="trend-line ai-generated">') == 1


def test_the_trend_is_left_out_when_nothing_was_deployed(manager_client):
    body = manager_client.get("/review/metrics/").content.decode()
    assert 'id="trend-h"' not in body
