"""Reads of stored results for pages: right rows, fixed query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.gaps import gaps_scan_all
from accountability.analysis.models import Gap
from accountability.analysis.selectors import gap_counts_by_team, gaps_open, suspects_for_incident
from accountability.analysis.suspects import suspects_refresh
from tests.factories import (
    ChangeFactory,
    DeploymentFactory,
    IncidentFactory,
    OnCallShiftFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def test_it_lists_open_gaps_most_severe_first_in_one_query():
    team = TeamFactory()
    ServiceFactory(tier=1, owner_team=team, owner_of_record=None, ownership_confirmed_at=timezone.now())
    ServiceFactory(tier=4, owner_team=team, owner_of_record=None, ownership_confirmed_at=timezone.now())
    for _ in range(3):
        change = ChangeFactory(service=ServiceFactory(tier=3, owner_team=team))
        DeploymentFactory(change=change)
    gaps_scan_all()
    Gap.objects.filter(code="TEAM_NO_ONCALL").update(resolved_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        rows = [(gap.severity, gap.code, gap.accountable_team) for gap in gaps_open(team=team)]

    assert len(queries) == 1
    assert [severity for severity, _, _ in rows] == sorted(
        (severity for severity, _, _ in rows), key=["high", "medium", "low"].index
    )
    assert rows[0][:2] == ("high", "SERVICE_NO_OWNER")
    assert "TEAM_NO_ONCALL" not in {code for _, code, _ in rows}


def test_it_counts_open_gaps_per_team():
    quiet, noisy = TeamFactory(), TeamFactory()
    OnCallShiftFactory(team=quiet)
    OnCallShiftFactory(team=noisy)
    ServiceFactory(owner_team=quiet, ownership_confirmed_at=timezone.now())
    ServiceFactory(tier=1, owner_team=noisy, owner_of_record=None, ownership_confirmed_at=timezone.now())
    ServiceFactory(tier=3, owner_team=noisy, ownership_confirmed_at=timezone.now() - timedelta(days=200))
    gaps_scan_all()

    counts = {team.slug: (team.open_gaps, team.high_gaps) for team in gap_counts_by_team()}

    assert counts == {noisy.slug: (2, 1)}


def test_it_reads_an_incidents_suspects_in_one_query():
    service = ServiceFactory()
    start = timezone.now()
    incident = IncidentFactory(started_at=start)
    incident.services.set([service])
    for hours in (1, 2, 3):
        DeploymentFactory(
            change=ChangeFactory(service=service),
            finished_at=start - timedelta(hours=hours),
            started_at=start - timedelta(hours=hours, minutes=5),
        )
    suspects_refresh(incident=incident)

    with CaptureQueriesContext(connection) as queries:
        rows = [
            (suspect.rank, suspect.change.service.slug)
            for suspect in suspects_for_incident(incident=incident)
        ]

    assert len(queries) == 1
    assert rows == [(1, service.slug), (2, service.slug), (3, service.slug)]
