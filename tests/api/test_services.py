from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    ChangeFactory,
    DependencyFactory,
    DeploymentFactory,
    OnCallShiftFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', name='reader')}"
    return client


def test_it_answers_the_incident_commanders_questions_about_a_service(read_client):
    team = TeamFactory(slug="payments-team", name="Payments", escalation_contact="#payments-oncall")
    owner = PersonFactory(name="Olivia Owner", github_login="olivia")
    service = ServiceFactory(slug="payments", name="Payments API", owner_team=team, owner_of_record=owner)
    paging = PersonFactory(name="Pat Pager")
    OnCallShiftFactory(person=paging, team=team)
    OnCallShiftFactory(team=team, start=timezone.now() + timedelta(days=1))  # not on call yet
    DependencyFactory(from_service=service, to_service=ServiceFactory(slug="ledger"))
    DependencyFactory(from_service=ServiceFactory(slug="checkout"), to_service=service)
    RollbackPlanFactory(change=None, service=service, strategy="feature_flag", steps="Turn off the flag.")
    change = ChangeFactory(service=service, title="Retry captures")
    DeploymentFactory(change=change, environment="production")

    response = read_client.get("/api/v1/services/payments")

    assert response.status_code == 200
    body = response.json()
    assert body["owner_of_record"]["name"] == "Olivia Owner"
    assert body["team"] == {"slug": "payments-team", "name": "Payments"}
    assert body["escalation_contact"] == "#payments-oncall"
    assert [entry["person"]["name"] for entry in body["on_call_now"]] == ["Pat Pager"]
    assert (body["depends_on"], body["dependents"]) == (["ledger"], ["checkout"])
    assert body["recent_changes"] == [
        {
            "id": change.id,
            "sha": change.sha,
            "title": "Retry captures",
            "merged_at": body["recent_changes"][0]["merged_at"],
            "ai_level": "unknown",
            "environments": ["production"],
            "rollback_strategy": "feature_flag",
            "rollback_steps": "Turn off the flag.",
        }
    ]


def test_it_lists_services_by_slug_in_pages_and_filters_them(read_client):
    team = TeamFactory(slug="core")
    for slug in ["delta", "alpha", "charlie", "bravo"]:
        ServiceFactory(slug=slug, owner_team=team, tier=1 if slug == "alpha" else 2)
    ServiceFactory(slug="echo", owner_of_record=None)

    first = read_client.get("/api/v1/services?limit=2").json()
    second = read_client.get(f"/api/v1/services?limit=2&cursor={first['next_cursor']}").json()
    third = read_client.get(f"/api/v1/services?limit=2&cursor={second['next_cursor']}").json()

    slugs = [s["slug"] for page in (first, second, third) for s in page["items"]]
    assert slugs == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert third["next_cursor"] is None
    assert third["items"][0]["owner_of_record"] is None
    assert [s["slug"] for s in read_client.get("/api/v1/services?team=core&tier=1").json()["items"]] == [
        "alpha"
    ]


def test_it_answers_404_for_an_unknown_service(read_client):
    response = read_client.get("/api/v1/services/nope")

    assert response.status_code == 404
    assert response.json() == {"message": "no service 'nope'", "errors": []}


def test_it_reads_a_service_in_a_fixed_number_of_queries(read_client):
    team = TeamFactory()
    service = ServiceFactory(slug="payments", owner_team=team)

    def add_one_of_each():
        OnCallShiftFactory(team=team)
        DependencyFactory(from_service=service)
        DependencyFactory(to_service=service)
        DeploymentFactory(change=ChangeFactory(service=service))

    add_one_of_each()
    read_client.get("/api/v1/services/payments")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get("/api/v1/services/payments").status_code == 200
        return len(queries)

    few = count()
    for _ in range(5):
        add_one_of_each()

    assert count() == few
