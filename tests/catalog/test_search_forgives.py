"""Search that forgives: a misspelt service gets a "did you mean", incidents are found by id and title,
people say whether they are on call now."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.catalog.models import OnCallShift
from tests.factories import IncidentFactory, PersonFactory, ServiceFactory, TeamFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def commander_client(client):
    client.force_login(user_with_role("commander"))
    return client


def test_a_misspelt_service_gets_a_did_you_mean(commander_client):
    ServiceFactory(name="API Gateway", slug="api-gateway")
    ServiceFactory(name="Ledger", slug="ledger")

    body = commander_client.get("/search/", {"q": "api-gatway"}).content.decode()

    assert "Did you mean" in body and 'href="/search/?q=api-gateway"' in body
    assert "Ledger" not in body


def test_it_finds_an_incident_by_id_and_by_title(commander_client):
    incident = IncidentFactory(title="Checkout 5xx spike")

    by_id = commander_client.get("/search/", {"q": f"#{incident.pk}"}).content.decode()
    by_title = commander_client.get("/search/", {"q": "5xx spike"}).content.decode()

    for body in (by_id, by_title):
        assert f'href="/incidents/{incident.pk}/"' in body and "Checkout 5xx spike" in body


def test_a_person_result_says_whether_they_are_on_call_now(commander_client):
    team = TeamFactory(name="SRE")
    maria = PersonFactory(name="Maria Lopez", github_login="maria")
    PersonFactory(name="Mario Rossi", github_login="mario")
    now = timezone.now()
    OnCallShift.objects.create(
        team=team, person=maria, start=now - timedelta(hours=1), end=now + timedelta(hours=7)
    )

    body = commander_client.get("/search/", {"q": "Mari"}).content.decode()

    assert "on call now: SRE" in body
    assert body.count("not on call") == 1
