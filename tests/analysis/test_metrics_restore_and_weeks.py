"""Time to restore from the incidents linked to failures; rates per week over the days that exist."""

from datetime import UTC, datetime, timedelta

import pytest

from accountability.analysis.metrics import metrics_snapshot_store, weeks_observed
from accountability.analysis.models import MetricSnapshot
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    IncidentFactory,
    ServiceFactory,
    SuspectChangeFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


def ship(service, *, day, status="succeeded"):
    finished = START + timedelta(days=day, hours=12)
    change = ChangeFactory(service=service, merged_at=finished - timedelta(hours=1))
    AIProvenanceFactory(change=change, level="none")
    DeploymentFactory(change=change, status=status, finished_at=finished, started_at=finished)
    return change


def test_a_rollback_counts_the_incident_it_is_still_a_suspect_of_for_time_to_restore():
    service = ServiceFactory()
    rolled_back = ship(service, day=2, status="rolled_back")
    innocent = ship(service, day=2)
    incident = IncidentFactory(
        started_at=START + timedelta(days=2, hours=13), resolved_at=START + timedelta(days=2, hours=15)
    )
    SuspectChangeFactory(incident=incident, change=rolled_back, verdict="none")
    # A suspect that shipped fine is not a failure, and its incident does not count for it.
    SuspectChangeFactory(incident=IncidentFactory(resolved_at=START + timedelta(days=9)), change=innocent)

    metrics_snapshot_store(period_start=START, period_end=END)

    row = MetricSnapshot.objects.get(scope="organisation", ai_level="all", period_start=START)
    assert (row.failures, row.restore_count, row.restore_median_hours) == (1, 1, 2.0)


def test_a_ruled_out_suspect_does_not_count_for_time_to_restore():
    rolled_back = ship(ServiceFactory(), day=2, status="rolled_back")
    incident = IncidentFactory(
        started_at=START + timedelta(days=2, hours=13), resolved_at=START + timedelta(days=2, hours=15)
    )
    SuspectChangeFactory(incident=incident, change=rolled_back, verdict="ruled_out")

    metrics_snapshot_store(period_start=START, period_end=END)

    row = MetricSnapshot.objects.get(scope="organisation", ai_level="all", period_start=START)
    assert (row.failures, row.restore_count) == (1, 0)


def test_weeks_count_only_the_days_that_exist():
    ship(ServiceFactory(), day=20)
    # Data starts on 21 March: a month-long period has 11 days of it.
    later = END + timedelta(days=30)
    assert weeks_observed(period_start=START, period_end=END, now=later) == pytest.approx(11 / 7)
    # A period still running counts up to now, at least one day.
    now = START + timedelta(days=20, hours=13)
    assert weeks_observed(period_start=START, period_end=END, now=now) == pytest.approx(1 / 7)
