"""A human_review counts only from the code host or a token granted reviews:attest, and only from a human
catalogued Person who is not an author or driver of the change (DESIGN §4, evidence trust)."""

import pytest

from accountability.changes.ledger import signoff_append
from accountability.changes.models import Evidence
from tests.api.builders import change_awaiting_signoff
from tests.factories import AIProvenanceFactory, PersonFactory

pytestmark = pytest.mark.django_db

REVIEW = {"evidence": [{"kind": "human_review", "result": "passed", "actor": "any-login"}]}


@pytest.fixture
def unreviewed():
    """Tier 1, AI-assisted, signed off: every control passes but the human review."""
    change = change_awaiting_signoff()
    change.evidence.filter(kind=Evidence.Kind.HUMAN_REVIEW).delete()
    change.provenance.delete()
    AIProvenanceFactory(change=change, level="assisted", driver_logins=["driver"])
    signoff_append(change=change, signer=change.service.owner_of_record, decision="approve")
    return change


def token_client(client, make_token, *scopes):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token(*scopes, 'gate')}"
    return client


def attach(client, change, body):
    url = f"/api/v1/changes/{change.service.slug}/{change.sha}/evidence"
    return client.post(url, body, content_type="application/json")


def gate(client, change):
    body = client.post(
        "/api/v1/gate",
        {"service": change.service.slug, "sha": change.sha},
        content_type="application/json",
    ).json()
    return body["decision"], {c["code"]: c["passed"] for c in body["controls"]}


def test_an_evidence_write_token_cannot_stand_in_for_a_human_review(client, make_token, unreviewed):
    PersonFactory(github_login="any-login")
    client = token_client(client, make_token, "evidence:write")
    decision, controls = gate(client, unreviewed)
    assert (decision, controls["human_review"]) == ("deny", False)

    assert attach(client, unreviewed, REVIEW).status_code == 201

    decision, controls = gate(client, unreviewed)
    assert (decision, controls["human_review"]) == ("deny", False)
    assert unreviewed.evidence.get(kind="human_review").source == "api"


def test_a_reviews_attest_token_counts_for_a_catalogued_human(client, make_token, unreviewed):
    PersonFactory(github_login="any-login")
    client = token_client(client, make_token, "evidence:write", "reviews:attest")

    assert attach(client, unreviewed, REVIEW).status_code == 201

    decision, controls = gate(client, unreviewed)
    assert (decision, controls["human_review"]) == ("allow", True)


def test_an_attested_review_by_a_login_nobody_catalogued_does_not_count(client, make_token, unreviewed):
    client = token_client(client, make_token, "evidence:write", "reviews:attest")

    attach(client, unreviewed, REVIEW)

    assert gate(client, unreviewed)[1]["human_review"] is False


@pytest.mark.parametrize("who", ["author", "driver"])
def test_an_attested_review_by_an_author_or_driver_does_not_count(client, make_token, unreviewed, who):
    login = unreviewed.author_logins[0] if who == "author" else "driver"
    PersonFactory(github_login=login)
    client = token_client(client, make_token, "evidence:write", "reviews:attest")

    attach(client, unreviewed, {"evidence": [{"kind": "human_review", "result": "passed", "actor": login}]})

    assert gate(client, unreviewed)[1]["human_review"] is False


def test_the_change_detail_says_why_a_pipelines_review_does_not_count(client, make_token, unreviewed):
    PersonFactory(github_login="any-login")
    client = token_client(client, make_token, "evidence:write", "read")
    attach(client, unreviewed, REVIEW)

    body = client.get(f"/api/v1/changes/{unreviewed.id}").json()

    (review,) = [e for e in body["evidence"] if e["kind"] == "human_review"]
    assert review["counts"] is False
    assert "reviews:attest" in review["why"]
