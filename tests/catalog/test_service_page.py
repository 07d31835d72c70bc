from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    ChangeFactory,
    DependencyFactory,
    DeploymentFactory,
    IncidentFactory,
    OnCallShiftFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    TeamFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commander_client(client):
    client.force_login(user_with_role("commander"))
    return client


@pytest.fixture
def service():
    team = TeamFactory(name="Payments", escalation_contact="payments-leads@example.com")
    return ServiceFactory(
        name="Payments API",
        slug="payments-api",
        tier=1,
        owner_team=team,
        owner_of_record=PersonFactory(name="Olga Owner"),
        runbook_url="https://runbooks.example.com/payments-api",
    )


def test_it_shows_the_owner_who_is_on_call_now_and_next_and_the_runbook(commander_client, service):
    now = timezone.now()
    OnCallShiftFactory(
        team=service.owner_team, person=PersonFactory(name="Nina Now"), start=now - timedelta(hours=2)
    )
    OnCallShiftFactory(
        team=service.owner_team, person=PersonFactory(name="Ned Next"), start=now + timedelta(hours=10)
    )

    body = commander_client.get("/services/payments-api/").content.decode()

    assert "Olga Owner" in body and "Payments" in body
    assert body.index("Nina Now") < body.index("Ned Next")
    assert "payments-leads@example.com" in body
    assert "https://runbooks.example.com/payments-api" in body


def test_it_says_nobody_is_on_call_rather_than_showing_nothing(commander_client, service):
    body = commander_client.get("/services/payments-api/").content.decode()

    assert "nobody on call now" in body


def test_it_lists_last_changes_with_copyable_rollback_steps(commander_client, service):
    change = ChangeFactory(service=service, title="Retry slow queries")
    DeploymentFactory(change=change)
    RollbackPlanFactory(change=change, steps="kubectl rollout undo deploy/payments-api")
    ChangeFactory(service=service, title="Uses the service default plan")
    RollbackPlanFactory(change=None, service=service, steps="Redeploy the previous tag")

    body = commander_client.get("/services/payments-api/").content.decode()

    assert "Retry slow queries" in body
    assert f'<pre id="steps-{change.pk}">kubectl rollout undo deploy/payments-api</pre>' in body
    assert f'data-copy-target="steps-{change.pk}"' in body
    assert "Redeploy the previous tag" in body and "service default" in body


def test_it_shows_dependencies_both_ways_and_unknown_ones_as_unknown(commander_client, service):
    DependencyFactory(from_service=service, to_service=ServiceFactory(name="Ledger DB", slug="ledger-db"))
    DependencyFactory(
        from_service=ServiceFactory(name="Checkout web", slug="checkout-web"), to_service=service
    )

    body = commander_client.get("/services/payments-api/").content.decode()
    assert 'href="/services/ledger-db/"' in body and 'href="/services/checkout-web/"' in body

    unknown = ServiceFactory(slug="mystery", dependencies_known=False)
    assert (
        "its blast radius is unknown, not zero"
        in commander_client.get(f"/services/{unknown.slug}/").content.decode()
    )


def test_it_links_the_incidents_of_the_service(commander_client, service):
    incident = IncidentFactory(title="Payments 5xx spike")
    incident.services.add(service)

    body = commander_client.get("/services/payments-api/").content.decode()

    assert f'href="/incidents/{incident.pk}/"' in body


def test_it_answers_404_for_an_unknown_service(commander_client):
    assert commander_client.get("/services/no-such-thing/").status_code == 404


def test_it_runs_the_same_number_of_queries_for_2_or_10_changes_and_dependencies(commander_client, service):
    def fill(n):
        for _ in range(n):
            change = ChangeFactory(service=service)
            DeploymentFactory(change=change)
            RollbackPlanFactory(change=change)
            DependencyFactory(from_service=service)
            DependencyFactory(to_service=service)

    fill(2)
    with CaptureQueriesContext(connection) as few:
        commander_client.get("/services/payments-api/")
    fill(8)
    with CaptureQueriesContext(connection) as many:
        commander_client.get("/services/payments-api/")
    assert len(many) == len(few)
