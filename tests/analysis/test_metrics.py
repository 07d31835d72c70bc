"""Delivery metrics by AI provenance (DESIGN §13): counts, Wilson intervals, "not enough data"."""

from datetime import UTC, datetime, timedelta

import pytest

from accountability.analysis.metrics import metrics_snapshot_store, wilson_interval
from accountability.analysis.models import MetricSnapshot
from accountability.analysis.verdicts import suspect_confirm
from accountability.changes.models import AIProvenance, Deployment
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    IncidentFactory,
    ServiceFactory,
    SuspectChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


def ship(service, *, level, day, status=Deployment.Status.SUCCEEDED, lead_hours=5):
    finished = START + timedelta(days=day, hours=12)
    change = ChangeFactory(service=service, merged_at=finished - timedelta(hours=lead_hours))
    AIProvenanceFactory(change=change, level=level)
    DeploymentFactory(
        change=change, status=status, finished_at=finished, started_at=finished - timedelta(minutes=5)
    )
    return change


def snapshot(**filters):
    return MetricSnapshot.objects.get(period_start=START, period_end=END, **filters)


def test_it_matches_a_known_wilson_interval():
    low, high = wilson_interval(failures=2, total=20)
    assert (round(low, 4), round(high, 4)) == (0.0279, 0.3010)
    assert wilson_interval(failures=0, total=0) == (0.0, 1.0)


def test_it_counts_rollbacks_and_says_not_enough_data_below_the_minimum(settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 5
    service = ServiceFactory()
    for day in range(4):
        ship(service, level=AIProvenance.Level.ASSISTED, day=day, lead_hours=2 * (day + 1))
    for day in range(6):
        ship(
            service, level=AIProvenance.Level.NONE, day=day, status="rolled_back" if day == 0 else "succeeded"
        )
    ship(service, level=AIProvenance.Level.NONE, day=40)  # next month

    metrics_snapshot_store(period_start=START, period_end=END)

    assisted = snapshot(scope="service", service=service, ai_level="assisted")
    assert (assisted.deployments, assisted.failures, assisted.enough_data, assisted.failure_rate) == (
        4,
        0,
        False,
        None,
    )
    assert (assisted.lead_time_count, assisted.lead_time_median_hours) == (4, 5.0)  # median of 2, 4, 6, 8
    human = snapshot(scope="service", service=service, ai_level="none")
    assert (human.deployments, human.failures, human.enough_data, human.failure_rate) == (6, 1, True, 0.1667)
    assert (human.failure_rate_low, human.failure_rate_high) == (0.0301, 0.5635)
    everything = snapshot(scope="team", team=service.owner_team, ai_level="all")
    assert (everything.deployments, everything.failures) == (10, 1)
    assert round(everything.deploys_per_week, 2) == round(10 / (31 / 7), 2)


def test_it_counts_a_change_confirmed_as_an_incident_cause_as_a_failure(settings):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 2
    service = ServiceFactory()
    cause = ship(service, level=AIProvenance.Level.GENERATED, day=3)
    ship(service, level=AIProvenance.Level.GENERATED, day=4)
    incident = IncidentFactory(
        started_at=START + timedelta(days=3, hours=13), resolved_at=START + timedelta(days=3, hours=16)
    )
    suspect = SuspectChangeFactory(incident=incident, change=cause)
    metrics_snapshot_store(period_start=START, period_end=END)
    assert snapshot(scope="organisation", ai_level="generated").failures == 0

    suspect_confirm(suspect=suspect, user=UserFactory())
    metrics_snapshot_store(period_start=START, period_end=END)

    generated = snapshot(scope="organisation", ai_level="generated")
    assert (generated.failures, generated.failure_rate) == (1, 0.5)
    assert (generated.restore_count, generated.restore_median_hours) == (1, 3.0)
