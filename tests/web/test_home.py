from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.changes.models import Deployment
from accountability.incidents.models import Incident
from tests.factories import (
    ChangeFactory,
    DeploymentFactory,
    IncidentFactory,
    OnCallShiftFactory,
    PersonFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


def stat(response, label: str) -> int:
    return response.context["counts"][label]


def test_it_shows_the_live_counts(logged_in_client):
    now = timezone.now()
    services = ServiceFactory.create_batch(3)  # each with its own team
    recent = ChangeFactory(service=services[0])
    DeploymentFactory(change=recent, finished_at=now - timedelta(days=1))
    DeploymentFactory(change=recent, finished_at=now - timedelta(days=2))  # the same change counts once
    DeploymentFactory(change=ChangeFactory(service=services[1]), finished_at=now - timedelta(days=8))
    DeploymentFactory(change=ChangeFactory(service=services[1]), environment="staging")
    DeploymentFactory(change=ChangeFactory(service=services[2]), status=Deployment.Status.FAILED)
    IncidentFactory(status=Incident.Status.TRIGGERED)
    IncidentFactory(status=Incident.Status.ACKNOWLEDGED)
    IncidentFactory(status=Incident.Status.RESOLVED)
    on_call = PersonFactory()
    OnCallShiftFactory(person=on_call, start=now - timedelta(hours=1), end=now + timedelta(hours=1))
    OnCallShiftFactory(person=on_call, start=now - timedelta(hours=2), end=now + timedelta(hours=2))
    OnCallShiftFactory(start=now + timedelta(hours=1), end=now + timedelta(hours=5))  # not yet
    OnCallShiftFactory(person=PersonFactory(is_active=False), start=now - timedelta(hours=1))  # departed

    response = logged_in_client.get("/")

    assert response.status_code == 200
    assert stat(response, "services") == 3
    assert stat(response, "teams") == 3 + 4  # one for each service and one for each shift
    assert stat(response, "changes_deployed_7d") == 1
    assert stat(response, "open_incidents") == 2
    assert stat(response, "on_call_now") == 1
    assert "changes deployed to production, last 7 days" in response.content.decode()


def test_its_query_count_does_not_grow_with_the_organisation(logged_in_client, django_assert_max_num_queries):
    ServiceFactory.create_batch(2)
    with django_assert_max_num_queries(8) as small:
        logged_in_client.get("/")
    for service in ServiceFactory.create_batch(20):
        DeploymentFactory(change=ChangeFactory(service=service))
        IncidentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        logged_in_client.get("/")


def test_it_tells_when_the_worker_has_never_reported(logged_in_client):
    from django.core.cache import cache

    from accountability.web.heartbeat import HEARTBEAT_KEY

    cache.delete(HEARTBEAT_KEY)
    response = logged_in_client.get("/")
    assert "No heartbeat from the background worker" in response.content.decode()
