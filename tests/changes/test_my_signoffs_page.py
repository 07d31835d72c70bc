import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.changes.ledger import signoff_append
from tests.factories import ChangeFactory, MembershipFactory, PersonFactory, ServiceFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return PersonFactory(name="Olga Owner")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(user_with_role("owner", person=owner))
    return client


def test_it_lists_the_unsigned_changes_of_my_services_and_my_teams(owner_client, owner):
    mine = ServiceFactory(owner_of_record=owner)
    teams = ServiceFactory()
    MembershipFactory(person=owner, team=teams.owner_team)
    ChangeFactory(service=mine, title="Waiting on my service")
    ChangeFactory(service=teams, title="Waiting on my team's service")
    ChangeFactory(service=ServiceFactory(), title="Someone else's change")
    signed = ChangeFactory(service=mine, title="Already approved")
    signoff_append(change=signed, signer=owner, decision="approve")
    rejected = ChangeFactory(service=mine, title="Rejected by me")
    signoff_append(change=rejected, signer=owner, decision="reject")

    body = owner_client.get("/my/signoffs/").content.decode()

    assert "Waiting on my service" in body and "Waiting on my team&#x27;s service" in body
    for absent in ("Someone else", "Already approved", "Rejected by me"):
        assert absent not in body


def test_it_puts_a_revoked_approval_back_in_the_queue(owner_client, owner):
    change = ChangeFactory(service=ServiceFactory(owner_of_record=owner), title="Approved then revoked")
    approval = signoff_append(change=change, signer=owner, decision="approve")
    signoff_append(change=change, signer=owner, decision="revoke", revokes=approval)

    assert "Approved then revoked" in owner_client.get("/my/signoffs/").content.decode()


def test_it_explains_an_unlinked_login(client):
    client.force_login(user_with_role("owner", username="nobody"))

    body = client.get("/my/signoffs/").content.decode()

    assert "not linked to a person in the catalog" in body


def test_it_runs_the_same_number_of_queries_for_2_or_20_changes(owner_client, owner):
    service = ServiceFactory(owner_of_record=owner)
    for _ in range(2):
        ChangeFactory(service=service)
    with CaptureQueriesContext(connection) as few:
        owner_client.get("/my/signoffs/")
    for _ in range(18):
        ChangeFactory(service=service)
    with CaptureQueriesContext(connection) as many:
        body = owner_client.get("/my/signoffs/").content.decode()
    assert body.count("/changes/") >= 20
    assert len(many) == len(few)
