import pytest

from tests.factories import PathOwnerFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', name='reader')}"
    return client


@pytest.fixture
def codeowners():
    # As GitHub reads CODEOWNERS: the last matching line wins.
    PathOwnerFactory(repository="acme/payments", line=1, pattern="*", owners=["@acme/platform"])
    PathOwnerFactory(
        repository="acme/payments", line=2, pattern="/billing/", owners=["@acme/billing", "@olivia"]
    )
    PathOwnerFactory(repository="acme/payments", line=3, pattern="/billing/vendored/", owners=[])
    TeamFactory(slug="billing", name="Billing")
    ServiceFactory(slug="payments", repositories=["acme/payments"])


def test_it_names_the_owners_of_the_last_matching_rule(read_client, codeowners):
    response = read_client.get("/api/v1/owners?repository=acme/payments&path=billing/invoice.py")

    assert response.status_code == 200
    body = response.json()
    assert (body["pattern"], body["line"], body["owners"]) == ("/billing/", 2, ["@acme/billing", "@olivia"])
    assert body["teams"] == [{"slug": "billing", "name": "Billing"}]
    assert [service["slug"] for service in body["services"]] == ["payments"]


def test_it_tells_a_deliberately_unowned_path_from_the_default(read_client, codeowners):
    vendored = read_client.get("/api/v1/owners?repository=ACME/payments&path=billing/vendored/lib.py").json()
    other = read_client.get("/api/v1/owners?repository=acme/payments&path=README.md").json()

    assert (vendored["pattern"], vendored["owners"]) == ("/billing/vendored/", [])
    assert (other["pattern"], other["owners"]) == ("*", ["@acme/platform"])


def test_it_answers_404_for_a_repository_without_codeowners(read_client, codeowners):
    response = read_client.get("/api/v1/owners?repository=acme/unknown&path=x.py")

    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "query.repository", "message": "import its CODEOWNERS first"}
    ]


def test_it_requires_repository_and_path(read_client):
    response = read_client.get("/api/v1/owners")

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"query.repository", "query.path"}


def test_it_looks_owners_up_in_a_fixed_number_of_queries(read_client, codeowners):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/api/v1/owners?repository=acme/payments&path=billing/invoice.py"
    read_client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get(url).status_code == 200
        return len(queries)

    few = count()
    for line in range(4, 40):
        PathOwnerFactory(repository="acme/payments", line=line, pattern=f"/other{line}/", owners=["@acme/x"])
    for _ in range(5):
        ServiceFactory(repositories=["acme/payments"])
        TeamFactory()

    assert count() == few
