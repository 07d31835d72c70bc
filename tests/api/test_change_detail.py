from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.services import change_analyze
from accountability.changes.ledger import signoff_append
from accountability.gate.decisions import gate_decide
from tests.api.builders import change_awaiting_signoff
from tests.factories import CommitFactory, DeploymentFactory, EvidenceFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', name='reader')}"
    return client


def test_it_shows_everything_the_owner_signs_for(read_client):
    change = change_awaiting_signoff()
    CommitFactory(change=change, sha=change.sha, message="Retry captures\n\nAssisted-by: Claude")
    DeploymentFactory(change=change, environment="staging", status="succeeded")
    EvidenceFactory(change=change, kind="human_review", actor_login="alice", url="https://example.com/r/2")
    gate_decide(service_slug="payments", sha=change.sha, environment="production")
    approval = signoff_append(
        change=change, signer=change.service.owner_of_record, decision="approve", read_ai_parts=True
    )
    change_analyze(change_id=change.id)

    response = read_client.get(f"/api/v1/changes/{change.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == change.id
    assert body["approved"] is True
    assert body["provenance"]["level"] == "none"
    assert body["commits"][0]["message"].startswith("Retry captures")
    self_review = next(e for e in body["evidence"] if e["actor"] == "alice")
    assert (self_review["counts"], self_review["why"]) == (
        False,
        "The reviewer is an author of the change: a self-review does not count.",
    )
    assert body["rollback_plan"]["strategy"] == "redeploy_previous"
    assert body["rollback_plan"]["inherited"] is False
    assert body["blast_radius"]["impacted"][0]["slug"] == "payments"
    assert isinstance(body["risk"]["score"], int)
    production = next(p for p in body["policy"] if p["environment"] == "production")
    assert production["decision"] == "allow"
    assert production["policy_version"] == 1
    assert body["signoffs"][0]["id"] == approval.id
    assert body["signoffs"][0]["read_ai_parts"] is True
    assert body["signoffs"][0]["hash"] == approval.hash
    assert body["deployments"][0]["environment"] == "staging"
    assert [(g["decision"], g["environment"]) for g in body["gate_decisions"]] == [("deny", "production")]
    assert body["production_decision"] == "allow"


def test_it_finds_a_change_by_service_and_sha(read_client):
    change = change_awaiting_signoff()

    response = read_client.get(f"/api/v1/services/payments/changes/{change.sha.upper()}")

    assert response.status_code == 200
    assert response.json()["id"] == change.id


def test_it_answers_404_as_json_for_an_unknown_change(read_client):
    response = read_client.get("/api/v1/changes/999999")
    assert response.status_code == 404
    assert response.json() == {"message": "no change 999999", "errors": []}

    response = read_client.get("/api/v1/services/payments/changes/abcdef1")
    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "path.sha", "message": "unknown change"}]


def test_it_reads_a_change_in_a_fixed_number_of_queries(read_client):
    change = change_awaiting_signoff()
    read_client.get(f"/api/v1/changes/{change.id}")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get(f"/api/v1/changes/{change.id}").status_code == 200
        return len(queries)

    few = count()
    for _ in range(10):
        CommitFactory(change=change)
        DeploymentFactory(change=change)
        EvidenceFactory(change=change, kind="ci_tests", sha=change.sha)
        gate_decide(service_slug="payments", sha=change.sha, environment="production")
        signer = PersonFactory()
        signoff_append(change=change, signer=signer, decision="approve", delegate=PersonFactory())
    change_analyze(change_id=change.id)

    assert count() == few


def test_each_signoff_says_how_its_signer_had_signed_in(read_client):
    change = change_awaiting_signoff()
    owner = change.service.owner_of_record
    signed_in_at = timezone.now() - timedelta(minutes=3)
    older = signoff_append(change=change, signer=owner, decision="approve")
    signoff_append(change=change, signer=owner, decision="revoke", revokes=older)
    signoff_append(
        change=change,
        signer=owner,
        decision="approve",
        auth={
            "auth_method": "oidc",
            "auth_at": signed_in_at,
            "auth_provider": "https://login.example.com",
            "auth_amr": "pwd mfa",
            "auth_acr": "urn:example:loa:2",
        },
    )

    signoffs = read_client.get(f"/api/v1/changes/{change.id}").json()["signoffs"]

    # Entries written before sign-ins were recorded say nothing rather than a guess.
    assert [entry["authenticated"] for entry in signoffs[:2]] == [None, None]
    authenticated = signoffs[2]["authenticated"]
    at = datetime.fromisoformat(authenticated.pop("at"))
    assert abs(at - signed_in_at) < timedelta(milliseconds=1)  # JSON carries milliseconds
    assert authenticated == {
        "method": "oidc",
        "provider": "https://login.example.com",
        "amr": "pwd mfa",
        "acr": "urn:example:loa:2",
    }
