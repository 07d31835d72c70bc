import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.models import Gap
from accountability.audit.models import AuditEvent
from tests.factories import ChangeFactory, ServiceFactory, TeamFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role("viewer", username="manager"))
    return client


def open_gap(*, team, code=Gap.Code.SERVICE_NO_OWNER, severity="high", sentence="A gap", **subject):
    now = timezone.now()
    return Gap.objects.create(
        code=code,
        severity=severity,
        accountable_team=team,
        sentence=sentence,
        first_seen=now,
        last_seen=now,
        **subject,
    )


def test_it_counts_open_gaps_by_team_and_severity(manager_client):
    payments = TeamFactory(name="Payments", slug="payments")
    open_gap(team=payments, service=ServiceFactory(owner_team=payments))
    open_gap(team=payments, severity="low", code=Gap.Code.OWNERSHIP_STALE, team_id=payments.pk)
    resolved = open_gap(team=payments, change=ChangeFactory())
    resolved.resolved_at = timezone.now()
    resolved.save()

    body = manager_client.get("/review/gaps/").content.decode()

    assert "Payments" in body
    assert "0 / 2" in body  # acknowledged / open: the resolved one is not counted


def test_it_drills_down_into_a_team_as_an_htmx_partial(manager_client):
    payments = TeamFactory(slug="payments")
    open_gap(team=payments, sentence="checkout has no owner of record", service=ServiceFactory())

    response = manager_client.get("/review/gaps/", {"team": "payments"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<div class="grid-1-2" id="gaps-panel"')
    assert '<tr class="selected">' in body
    assert "checkout has no owner of record" in body


def test_it_acknowledges_a_gap_with_a_note_and_keeps_it_visible(manager_client):
    payments = TeamFactory(slug="payments")
    gap = open_gap(team=payments, service=ServiceFactory())

    response = manager_client.post(f"/review/gaps/{gap.pk}/acknowledge/", {"note": "Hiring an owner in Q1"})

    assert response.status_code == 302
    assert response["Location"] == f"/review/gaps/?team=payments#gap-{gap.pk}"
    gap.refresh_from_db()
    assert gap.acknowledgement_note == "Hiring an owner in Q1"
    assert gap.acknowledged_by.username == "manager" and gap.resolved_at is None
    assert AuditEvent.objects.filter(action="gap.acknowledge", object_id=str(gap.pk)).exists()
    body = manager_client.get("/review/gaps/", {"team": "payments"}).content.decode()
    assert "Hiring an owner in Q1" in body


def test_it_refuses_an_acknowledgement_without_a_note(manager_client):
    gap = open_gap(team=TeamFactory(), service=ServiceFactory())

    response = manager_client.post(f"/review/gaps/{gap.pk}/acknowledge/", {"note": "  "}, follow=True)

    gap.refresh_from_db()
    assert gap.acknowledged_at is None
    assert "Write a note to acknowledge a gap" in response.content.decode()


def test_it_answers_404_for_an_unknown_gap(manager_client):
    assert manager_client.post("/review/gaps/99999/acknowledge/", {"note": "x"}).status_code == 404


def test_it_runs_the_same_number_of_queries_for_2_or_20_gaps(manager_client):
    team = TeamFactory(slug="payments")
    for _ in range(2):
        open_gap(team=team, service=ServiceFactory())
    with CaptureQueriesContext(connection) as few:
        manager_client.get("/review/gaps/", {"team": "payments"})
    for n in range(18):
        open_gap(team=team, change=ChangeFactory(), code=Gap.Code.NO_ROLLBACK_PLAN, sentence=f"gap {n}")
    with CaptureQueriesContext(connection) as many:
        manager_client.get("/review/gaps/", {"team": "payments"})
    assert len(many) == len(few)
