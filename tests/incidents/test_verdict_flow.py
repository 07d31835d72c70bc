"""Confirm / rule out on the incident page: asked once (without JavaScript too), said, undoable, credited to
the person, written to the timeline; the change's page links back to the incident it caused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.audit.models import AuditEvent
from accountability.incidents.models import IncidentEvent
from tests.factories import (
    ChangeFactory,
    IncidentFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    SuspectChangeFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    incident = IncidentFactory(title="Checkout 5xx spike", started_at=timezone.now() - timedelta(hours=1))
    incident.services.add(ServiceFactory(name="Checkout web", slug="checkout-web"))
    return incident


@pytest.fixture
def top(incident):
    change = ChangeFactory(title="Retry payments faster")
    RollbackPlanFactory(change=change, steps="kubectl rollout undo deploy/payments-api")
    return SuspectChangeFactory(incident=incident, change=change, rank=1, score=40.0, reasons=[])


@pytest.fixture
def commander(client):
    user = user_with_role("commander", person=PersonFactory(name="Carla Commander"))
    client.force_login(user)
    return user


def _verdict(client, suspect, **data):
    return client.post(f"/incidents/{suspect.incident_id}/suspects/{suspect.pk}/verdict/", data)


def test_it_shows_each_suspects_rollback_steps_with_a_copy_button(client, incident, top, commander):
    body = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert f'<pre id="suspect-steps-{top.pk}">kubectl rollout undo deploy/payments-api</pre>' in body
    assert f'data-copy-target="suspect-steps-{top.pk}"' in body


def test_it_asks_once_before_confirming_and_records_nothing_yet(client, incident, top, commander):
    response = _verdict(client, top, verdict="confirmed", note="Reverted")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Confirm that this change caused the incident?" in body
    assert 'name="sure" value="on"' in body and 'name="note" value="Reverted"' in body
    assert "Yes, confirm cause" in body
    top.refresh_from_db()
    assert top.verdict == "none"
    assert not IncidentEvent.objects.filter(incident=incident).exists()


def test_once_sure_it_says_what_happened_credits_the_person_and_writes_the_timeline(
    client, incident, top, commander
):
    response = _verdict(client, top, verdict="confirmed", note="Reverted", sure="on")

    assert response.status_code == 302 and response["Location"].endswith(f"#suspect-{top.pk}")
    page = client.get(response["Location"]).content.decode()
    assert f"Suspect #1 ({top.change.sha[:8]}) is confirmed as the cause" in page
    carla = commander.person.handle
    assert f'Confirmed cause by <strong><a href="/people/{carla}/">Carla Commander</a></strong>' in page
    event = IncidentEvent.objects.get(incident=incident)
    assert (event.kind, event.actor) == ("suspect_confirmed", "Carla Commander")
    assert "confirmed as the cause: Reverted" in event.summary
    assert "cause confirmed" in page  # the timeline's plain label, not the code


def test_it_can_be_undone(client, incident, top, commander):
    _verdict(client, top, verdict="ruled_out", sure="on")

    response = _verdict(client, top, verdict="none")

    assert response.status_code == 302
    top.refresh_from_db()
    assert (top.verdict, top.verdict_by, top.verdict_note) == ("none", None, "")
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds == ["suspect_ruled_out", "suspect_verdict_undone"]
    assert AuditEvent.objects.filter(action="suspect.undo", object_id=str(top.pk)).exists()
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "is open again" in page and ">Confirm cause</button>" in page


def test_an_htmx_verdict_says_what_happened_inside_the_partial(client, incident, top, commander):
    response = client.post(
        f"/incidents/{incident.pk}/suspects/{top.pk}/verdict/",
        {"verdict": "ruled_out", "sure": "on"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="suspects"')
    assert "is ruled out; the timeline says so" in body and "Undo" in body
    # The timeline it was written to is swapped out of band.
    timeline = body[body.index('<section class="card" id="timeline"') :]
    assert 'hx-swap-oob="true"' in timeline.split(">")[0] and "suspect ruled out" in timeline


def test_the_change_page_links_to_the_incident_it_caused(client, incident, top, commander):
    _verdict(client, top, verdict="confirmed", sure="on")

    page = client.get(f"/changes/{top.change_id}/").content.decode()

    assert f'href="/incidents/{incident.pk}/"' in page
    assert "Confirmed cause of" in page and "Checkout 5xx spike" in page
