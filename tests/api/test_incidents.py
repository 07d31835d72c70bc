from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ChangeFactory, IncidentFactory, ServiceFactory, SuspectChangeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', name='reader')}"
    return client


def test_it_shows_an_incident_with_its_suspects_ranked_and_explained(read_client):
    service = ServiceFactory(slug="payments")
    incident = IncidentFactory(title="Card captures failing", severity="SEV1")
    incident.services.add(service)
    likely = ChangeFactory(service=service, title="Retry captures")
    reasons = [{"code": "TIME_PROXIMITY", "points": 40.0, "sentence": "Deployed 20 min before the incident."}]
    SuspectChangeFactory(incident=incident, change=ChangeFactory(service=service), rank=2, score=0.2)
    SuspectChangeFactory(incident=incident, change=likely, rank=1, score=0.9, reasons=reasons)

    response = read_client.get(f"/api/v1/incidents/{incident.id}")

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["severity"], body["status"]) == ("Card captures failing", "SEV1", "triggered")
    assert body["services"] == [{"slug": "payments", "name": service.name, "tier": service.tier}]
    assert [s["rank"] for s in body["suspects"]] == [1, 2]
    first = body["suspects"][0]
    assert (first["change_id"], first["title"], first["reasons"]) == (likely.id, "Retry captures", reasons)
    assert first["owner_of_record"]["name"] == service.owner_of_record.name
    assert first["verdict"] == "none"


def test_it_lists_incidents_newest_first_and_filters_open_ones(read_client):
    service = ServiceFactory(slug="payments")
    now = timezone.now()
    old = IncidentFactory(started_at=now - timedelta(days=1), status="resolved", resolved_at=now)
    new = IncidentFactory(started_at=now)
    new.services.add(service)

    assert [i["id"] for i in read_client.get("/api/v1/incidents").json()["items"]] == [new.id, old.id]
    assert [i["id"] for i in read_client.get("/api/v1/incidents?open=true").json()["items"]] == [new.id]
    assert [i["id"] for i in read_client.get("/api/v1/incidents?service=payments").json()["items"]] == [
        new.id
    ]
    assert [i["id"] for i in read_client.get("/api/v1/incidents?status=resolved").json()["items"]] == [old.id]


def test_it_answers_404_for_an_unknown_incident(read_client):
    response = read_client.get("/api/v1/incidents/424242")

    assert response.status_code == 404
    assert response.json() == {"message": "no incident 424242", "errors": []}


def test_it_reads_an_incident_in_a_fixed_number_of_queries(read_client):
    incident = IncidentFactory()
    incident.services.add(ServiceFactory())
    SuspectChangeFactory(incident=incident, rank=1)
    read_client.get(f"/api/v1/incidents/{incident.id}")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get(f"/api/v1/incidents/{incident.id}").status_code == 200
            assert read_client.get("/api/v1/incidents").status_code == 200
        return len(queries)

    few = count()
    for rank in range(2, 12):
        SuspectChangeFactory(incident=incident, rank=rank)
        incident.services.add(ServiceFactory())
        IncidentFactory().services.add(ServiceFactory())

    assert count() == few
