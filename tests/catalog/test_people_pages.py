"""The person page (/people/<handle>/) and the team page (/teams/<slug>/), and the links that lead there."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.gaps import gap_acknowledge
from accountability.analysis.models import Gap
from tests.factories import (
    ChangeFactory,
    DeploymentFactory,
    GapFactory,
    IncidentFactory,
    MembershipFactory,
    OnCallShiftFactory,
    PersonFactory,
    ServiceFactory,
    SignOffFactory,
    SuspectChangeFactory,
    TeamFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client):
    client.force_login(user_with_role("viewer"))
    return client


@pytest.fixture
def olga():
    """Olga owns Payments API of record, leads Payments, and is on call for it now."""
    team = TeamFactory(name="Payments", slug="payments", chat_channel="#payments-oncall")
    person = PersonFactory(name="Olga Owner", github_login="Olga-O", email="olga@example.com")
    MembershipFactory(person=person, team=team, role="lead")
    ServiceFactory(name="Payments API", slug="payments-api", owner_team=team, owner_of_record=person)
    OnCallShiftFactory(person=person, team=team)
    return person


def test_a_person_page_shows_what_they_own_their_pager_sign_offs_waiting_changes_and_gaps(
    viewer_client, olga
):
    service = olga.owned_services.get()
    signed = ChangeFactory(service=service, title="Retry slow ledger calls")
    SignOffFactory(change=signed, signer=olga, note="Read it twice")
    ChangeFactory(service=service, title="Add idempotency keys")  # merged, unsigned: waits for her
    GapFactory(code=Gap.Code.OWNERSHIP_STALE, service=service, sentence="Ownership never confirmed.")
    GapFactory(sentence="Someone else's gap.")

    response = viewer_client.get("/people/olga-o/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="/services/payments-api/"' in body
    assert 'href="/teams/payments/"' in body and "lead" in body
    assert "Not on call now" not in body
    assert "Retry slow ledger calls" in body and "Read it twice" in body
    waiting = body[body.index('id="waiting-h"') : body.index('id="signoffs-h"')]
    assert "Add idempotency keys" in waiting and "Retry slow ledger calls" not in waiting
    assert "Ownership never confirmed." in body and "Someone else's gap." not in body
    assert 'href="mailto:olga@example.com"' in body


def test_a_person_without_a_github_login_has_an_id_handle(viewer_client):
    person = PersonFactory(name="Lin No-Login", github_login="")

    assert person.handle == f"id.{person.pk}"
    body = viewer_client.get(f"/people/id.{person.pk}/").content.decode()
    assert "Lin No-Login" in body and "Not on call now" in body


@pytest.mark.parametrize("handle", ["nobody-here", "id.999999", "id.x", "a.b", "id.1" + "0" * 40])
def test_an_unknown_or_malformed_handle_is_a_404(viewer_client, handle):
    assert viewer_client.get(f"/people/{handle}/").status_code == 404


def test_a_team_page_shows_services_on_call_members_gaps_and_recent_production_changes(viewer_client, olga):
    team = olga.memberships.get().team
    service = olga.owned_services.get()
    MembershipFactory(person=PersonFactory(name="Max Member"), team=team)
    shipped = ChangeFactory(service=service, title="Shipped and signed")
    DeploymentFactory(change=shipped)
    SignOffFactory(change=shipped, signer=olga)
    shipped.refresh_from_db()
    old = ChangeFactory(service=service, title="Shipped long ago")
    DeploymentFactory(change=old, finished_at=timezone.now() - timedelta(days=40))
    staging = ChangeFactory(service=service, title="Only on staging")
    DeploymentFactory(change=staging, environment="staging")
    GapFactory(
        code=Gap.Code.TEAM_NO_ONCALL, service=None, team=team, accountable_team=team, sentence="Gap X."
    )

    body = viewer_client.get("/teams/payments/").content.decode()

    assert 'href="/services/payments-api/"' in body
    assert 'href="/people/olga-o/"' in body and "Max Member" in body
    assert "nobody on call now" not in body
    assert "#payments-oncall" in body
    assert "Gap X." in body
    recent = body[body.index('id="changes-h"') :]
    assert "Shipped and signed" in recent and ">signed<" in recent
    assert "Shipped long ago" not in recent and "Only on staging" not in recent


def test_an_unknown_team_is_a_404(viewer_client):
    assert viewer_client.get("/teams/no-such-team/").status_code == 404


def _grow(olga, n):
    """n more services, members, shifts, sign-offs, shipped changes and gaps for Olga and her team."""
    team = olga.memberships.get().team
    for _ in range(n):
        service = ServiceFactory(owner_team=team, owner_of_record=olga)
        MembershipFactory(team=team)
        OnCallShiftFactory(team=team)
        change = ChangeFactory(service=service)
        DeploymentFactory(change=change)
        SignOffFactory(change=change, signer=olga)
        ChangeFactory(service=service)
        GapFactory(service=service, accountable_team=team)


@pytest.mark.parametrize("url", ["/people/olga-o/", "/teams/payments/"])
def test_the_pages_run_the_same_number_of_queries_for_2_or_10_of_everything(viewer_client, olga, url):
    _grow(olga, 2)
    with CaptureQueriesContext(connection) as few:
        assert viewer_client.get(url).status_code == 200
    _grow(olga, 8)
    with CaptureQueriesContext(connection) as many:
        assert viewer_client.get(url).status_code == 200
    assert len(many) == len(few)


def test_names_link_to_the_person_and_team_pages_from_the_service_change_incident_and_review_pages(
    viewer_client, olga
):
    service = olga.owned_services.get()
    change = ChangeFactory(service=service, repository="acme/payments", pr_url="")
    DeploymentFactory(change=change)
    SignOffFactory(change=change, signer=olga)
    incident = IncidentFactory(commander=olga)
    incident.services.add(service)
    SuspectChangeFactory(incident=incident, change=change)

    person, team = 'href="/people/olga-o/"', 'href="/teams/payments/"'
    for url in (f"/services/{service.slug}/", f"/changes/{change.pk}/", f"/incidents/{incident.pk}/"):
        body = viewer_client.get(url).content.decode()
        assert person in body and team in body, url
    review = viewer_client.get("/review/", {"period": "30d"}).content.decode()
    # The review rows leave plain paths unquoted (changes/rows.py: the partial's 30 KB).
    assert "href=/teams/payments/" in review and f"href=/people/id.{olga.pk}/" in review


def test_the_gaps_page_credits_an_acknowledgement_to_the_person(client, olga):
    user = user_with_role("viewer", username="olga", person=olga)
    team = olga.memberships.get().team
    gap = GapFactory(service=olga.owned_services.get(), accountable_team=team)
    gap_acknowledge(gap=gap, user=user, note="Handing over to Max")
    client.force_login(user)

    body = client.get("/review/gaps/", {"team": "payments"}).content.decode()

    gap.refresh_from_db()
    assert gap.acknowledged_by_person == olga
    card = body[body.index(f'id="gap-{gap.pk}"') :]
    assert 'Acknowledged by <strong><a href="/people/olga-o/">Olga Owner</a></strong>' in card
    assert "(login olga)" in card


def test_an_acknowledgement_by_a_login_linked_to_nobody_says_so(client):
    user = user_with_role("viewer", username="ops-bot-ish")
    team = TeamFactory(slug="core")
    gap = GapFactory(accountable_team=team)
    gap_acknowledge(gap=gap, user=user, note="Known")
    client.force_login(user)

    body = client.get("/review/gaps/", {"team": "core"}).content.decode()

    gap.refresh_from_db()
    assert gap.acknowledged_by_person is None
    assert 'ops-bot-ish <span class="muted">(a login linked to no person)</span>' in body
