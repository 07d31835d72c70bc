"""What the metrics page's AI split rests on: production changes of the period by provenance confidence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.metric_selectors import attribution_coverage
from tests.factories import AIProvenanceFactory, ChangeFactory, DeploymentFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def deployed(change, *, environment="production", days_ago=1, status="succeeded"):
    finished = timezone.now() - timedelta(days=days_ago)
    DeploymentFactory(
        change=change, environment=environment, status=status, started_at=finished, finished_at=finished
    )


def test_each_production_change_of_the_period_counts_once_by_what_its_provenance_rests_on():
    payments = ServiceFactory(owner_team=TeamFactory(slug="payments"))
    line_level = ChangeFactory(service=payments)
    AIProvenanceFactory(change=line_level, confidence="line_level")
    deployed(line_level)
    deployed(line_level, days_ago=2)  # deployed twice: still one change
    attested = ChangeFactory()
    AIProvenanceFactory(change=attested, confidence="attested")
    deployed(attested, status="rolled_back")
    never_evaluated = ChangeFactory(service=payments)
    deployed(never_evaluated)
    staging_only = ChangeFactory()
    AIProvenanceFactory(change=staging_only, confidence="heuristic")
    deployed(staging_only, environment="staging")
    long_ago = ChangeFactory()
    deployed(long_ago, days_ago=40)
    now = timezone.now()

    everyone = attribution_coverage(period=(now - timedelta(days=30), now))
    team = attribution_coverage(team_slug="payments", period=(now - timedelta(days=30), now))

    assert (everyone.total, everyone.line_level, everyone.attested, everyone.heuristic, everyone.unknown) == (
        3,
        1,
        1,
        0,
        1,
    )
    assert (team.total, team.line_level, team.unknown) == (2, 1, 1)
