from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.audit.models import AuditEvent
from tests.factories import (
    ChangeFactory,
    IncidentEventFactory,
    IncidentFactory,
    PersonFactory,
    ServiceFactory,
    SuspectChangeFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    incident = IncidentFactory(title="Checkout 5xx spike", started_at=timezone.now() - timedelta(hours=1))
    incident.services.add(ServiceFactory(name="Checkout web", slug="checkout-web"))
    IncidentEventFactory(incident=incident, kind="triggered", summary="5xx above 2%", at=incident.started_at)
    IncidentEventFactory(
        incident=incident, kind="annotated", summary="Suspected cause: payments-api@abc", at=timezone.now()
    )
    return incident


def suspect(incident, rank, title, score):
    return SuspectChangeFactory(
        incident=incident,
        change=ChangeFactory(title=title),
        rank=rank,
        score=score,
        reasons=[
            {"code": "TIME_PROXIMITY", "points": score, "sentence": f"Deployed shortly before ({title})."}
        ],
    )


@pytest.fixture
def commander():
    return user_with_role("commander", person=PersonFactory(name="Carla Commander"))


def test_it_shows_affected_services_timeline_and_ranked_suspects(client, incident):
    suspect(incident, 2, "Second suspect", 10.0)
    suspect(incident, 1, "Top suspect", 40.0)
    client.force_login(user_with_role("viewer"))

    body = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert 'href="/services/checkout-web/"' in body
    assert body.index("5xx above 2%") < body.index("Suspected cause: payments-api@abc")
    assert body.index("Top suspect") < body.index("Second suspect")
    assert "TIME_PROXIMITY" not in body and "deployed shortly before" in body
    assert "Deployed shortly before (Top suspect)." in body
    assert "Only incident commanders can confirm a cause" in body
    assert "Confirm cause" not in body


def test_it_lets_a_commander_confirm_the_top_suspect(client, incident, commander):
    top = suspect(incident, 1, "Top suspect", 40.0)
    client.force_login(commander)

    response = client.post(
        f"/incidents/{incident.pk}/suspects/{top.pk}/verdict/",
        {"verdict": "confirmed", "note": "Reverted, fixed", "sure": "on"},
    )

    assert response.status_code == 302
    top.refresh_from_db()
    assert (top.verdict, top.verdict_by, top.verdict_note) == ("confirmed", commander, "Reverted, fixed")
    assert AuditEvent.objects.filter(action="suspect.confirmed", object_id=str(top.pk)).exists()
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert (
        f'Confirmed cause by <strong><a href="/people/{commander.person.handle}/">Carla Commander</a>' in page
    )


def test_it_swaps_the_suspects_partial_for_an_htmx_verdict(client, incident, commander):
    other = suspect(incident, 1, "Innocent", 5.0)
    client.force_login(commander)

    response = client.post(
        f"/incidents/{incident.pk}/suspects/{other.pk}/verdict/",
        {"verdict": "ruled_out", "sure": "on"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="suspects"') and "Ruled out" in body
    other.refresh_from_db()
    assert other.verdict == "ruled_out"


def test_it_refuses_a_verdict_from_a_viewer_and_changes_nothing(client, incident):
    top = suspect(incident, 1, "Top suspect", 40.0)
    client.force_login(user_with_role("viewer"))

    response = client.post(f"/incidents/{incident.pk}/suspects/{top.pk}/verdict/", {"verdict": "confirmed"})

    assert response.status_code == 403
    assert "Only an incident commander" in response.content.decode()
    top.refresh_from_db()
    assert top.verdict == "none"


def test_it_answers_404_for_a_suspect_of_another_incident(client, incident, commander):
    stranger = suspect(IncidentFactory(), 1, "Elsewhere", 1.0)
    client.force_login(commander)

    response = client.post(
        f"/incidents/{incident.pk}/suspects/{stranger.pk}/verdict/", {"verdict": "confirmed"}
    )

    assert response.status_code == 404


def test_it_rejects_an_unknown_verdict(client, incident, commander):
    top = suspect(incident, 1, "Top suspect", 40.0)
    client.force_login(commander)

    response = client.post(f"/incidents/{incident.pk}/suspects/{top.pk}/verdict/", {"verdict": "guilty"})

    assert response.status_code == 400
    top.refresh_from_db()
    assert top.verdict == "none"


def test_it_says_why_there_is_no_suspect(client):
    lonely = IncidentFactory()
    client.force_login(user_with_role("viewer"))

    body = client.get(f"/incidents/{lonely.pk}/").content.decode()

    assert "No suspect changes" in body and "not mapped to a service" in body


def test_it_runs_the_same_number_of_queries_for_2_or_12_suspects(client, incident, commander):
    client.force_login(commander)
    for n in range(2):
        suspect(incident, n + 1, f"s{n}", 1.0)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/incidents/{incident.pk}/")
    for n in range(2, 12):
        suspect(incident, n + 1, f"s{n}", 1.0)
        IncidentEventFactory(incident=incident)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/incidents/{incident.pk}/")
    assert len(many) == len(few)


def test_it_lists_open_incidents_first(client):
    IncidentFactory(title="Old and resolved", status="resolved", resolved_at=timezone.now())
    IncidentFactory(title="Still burning", started_at=timezone.now() - timedelta(days=3))
    client.force_login(user_with_role("viewer"))

    body = client.get("/incidents/").content.decode()

    assert body.index("Still burning") < body.index("Old and resolved")


def test_it_shows_who_is_on_call_now_for_each_affected_service(client, incident):
    from tests.factories import OnCallShiftFactory

    service = incident.services.get()
    paula = PersonFactory(name="Paula Pager")
    OnCallShiftFactory(team=service.owner_team, person=paula)
    client.force_login(user_with_role("viewer"))

    body = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert f'On call now: <strong><a href="/people/{paula.handle}/">Paula Pager</a></strong>' in body
