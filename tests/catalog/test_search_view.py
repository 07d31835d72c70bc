"""Who owns what: one search box for the incident commander."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    MembershipFactory,
    PathOwnerFactory,
    PersonFactory,
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
def payments():
    team = TeamFactory(name="Payments", slug="payments")
    owner = PersonFactory(name="Olga Owner", github_login="olga", pagerduty_user_id="PUSER01")
    MembershipFactory(person=owner, team=team)
    return ServiceFactory(
        name="Payments API",
        slug="payments-api",
        owner_team=team,
        owner_of_record=owner,
        repositories=["acme/payments-api"],
        pagerduty_service_id="PSVC001",
    )


def search(client, q, **headers):
    response = client.get("/search/", {"q": q}, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "query", ["payments api", "PAYMENTS-API", "acme/payments-api", "PSVC001", "payments"]
)
def test_it_finds_a_service_by_name_slug_repository_pagerduty_id_or_team(commander_client, payments, query):
    assert 'href="/services/payments-api/"' in search(commander_client, query)


@pytest.mark.parametrize("query", ["Olga", "@olga", "PUSER01"])
def test_it_finds_a_person_with_their_teams_and_services(commander_client, payments, query):
    body = search(commander_client, query)
    assert (
        "Olga Owner" in body and '<a href="/teams/payments/">Payments</a> (member)' in body and "owns" in body
    )


def test_it_resolves_a_path_through_codeowners_last_match_wins(commander_client, payments):
    TeamFactory(name="Data Infrastructure", slug="data-infra")
    PathOwnerFactory(repository="acme/payments-api", pattern="*", owners=["@acme/payments"], line=1)
    PathOwnerFactory(
        repository="acme/payments-api", pattern="/migrations/", owners=["@acme/data-infra"], line=2
    )

    body = search(commander_client, "acme/payments-api:migrations/0042_refunds.py")
    assert "@acme/data-infra" in body and "through the rule <code>/migrations/</code>" in body
    assert 'Teams: <a href="/teams/data-infra/">Data Infrastructure</a>' in body
    assert 'href="/services/payments-api/"' in body

    other = search(commander_client, "acme/payments-api/src/api/views.py")
    assert "@acme/payments" in other and "@acme/data-infra" not in other


def test_it_answers_as_you_type_with_the_results_partial(commander_client, payments):
    body = search(commander_client, "payments", **{"HX-Request": "true"})

    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body


def test_it_says_so_when_nothing_matches(commander_client, payments):
    assert "Nothing matches <strong>zzz-nothing</strong>" in search(commander_client, "zzz-nothing")


def test_it_answers_in_a_fixed_number_of_queries(commander_client):
    for n in range(3):
        ServiceFactory(name=f"Ledger {n}")
        PersonFactory(name=f"Ledger keeper {n}")
    with CaptureQueriesContext(connection) as few:
        search(commander_client, "ledger")
    for n in range(30):
        ServiceFactory(name=f"Ledger more {n}")
        PersonFactory(name=f"Ledger person {n}")
    with CaptureQueriesContext(connection) as many:
        search(commander_client, "ledger")
    assert len(many) == len(few)


def test_it_shows_who_is_on_call_now_for_each_service_found(commander_client, payments):
    from tests.factories import OnCallShiftFactory

    OnCallShiftFactory(team=payments.owner_team, person=PersonFactory(name="Paula Pager"))

    body = search(commander_client, "payments-api")

    assert "Paula Pager" in body
    assert "nobody" not in body
