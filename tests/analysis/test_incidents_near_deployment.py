"""Which open incidents a deployment may have caused, so that their suspects are ranked again at once
(analysis/suspects.py incidents_near_deployment, behind the analysis.deployment_incidents task)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.suspects import incidents_near_deployment
from accountability.incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(settings):
    settings.ANALYSIS_SUSPECT_WINDOW_HOURS = 24
    deployed = timezone.now() - timedelta(days=3)
    made = {
        "before": IncidentFactory(started_at=deployed - timedelta(hours=1)),
        "during": IncidentFactory(started_at=deployed + timedelta(minutes=5)),
        "in the window": IncidentFactory(started_at=deployed + timedelta(hours=20)),
        "after the window": IncidentFactory(started_at=deployed + timedelta(hours=30)),
        "resolved": IncidentFactory(
            started_at=deployed + timedelta(hours=1), status=Incident.Status.RESOLVED
        ),
        "in staging": IncidentFactory(started_at=deployed + timedelta(hours=1), environment="staging"),
    }
    return deployed, {incident.pk: name for name, incident in made.items()}


def test_a_finished_deployment_reaches_the_open_incidents_that_started_while_it_ran_or_in_the_window(
    incidents,
):
    deployed, names = incidents

    found = incidents_near_deployment(
        environment="production",
        started_at=deployed,
        finished_at=deployed + timedelta(minutes=10),
        active=False,
    )

    assert [names[pk] for pk in found] == ["in the window", "during"]  # newest first


def test_a_running_deployment_reaches_every_open_incident_of_its_environment(incidents):
    deployed, names = incidents

    found = incidents_near_deployment(
        environment="production", started_at=deployed, finished_at=None, active=True
    )

    assert sorted(names[pk] for pk in found) == ["after the window", "before", "during", "in the window"]
