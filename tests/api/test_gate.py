import pytest

from accountability.api.models import GateDecision
from accountability.audit.models import AuditEvent
from accountability.changes.ledger import signoff_append
from accountability.gate.decisions import gate_decisions_for
from tests.api.builders import change_awaiting_signoff
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('gate', name='deploy-pipeline')}"
    return client


def ask(client, **body):
    return client.post("/api/v1/gate", body, content_type="application/json")


def test_it_denies_an_unsigned_tier_1_change_and_names_the_failed_controls(gate_client):
    change = change_awaiting_signoff()

    response = ask(gate_client, service="payments", sha=change.sha, environment="production")

    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "deny"
    assert body["policy_version"] == 1
    assert body["change"]["id"] == change.id
    assert body["change"]["url"].endswith(f"/changes/{change.id}/")
    failed = {c["code"]: c for c in body["controls"] if not c["passed"]}
    assert set(failed) == {"owner_signed_off", "signer_accountable"}
    assert failed["owner_signed_off"] == {
        "code": "owner_signed_off",
        "label": "Owner of record signed off",
        "level": "required",
        "passed": False,
        "sentence": "Nobody has signed off this change.",
    }


def test_it_allows_the_change_once_its_owner_signed(gate_client):
    change = change_awaiting_signoff()
    signoff_append(change=change, signer=change.service.owner_of_record, decision="approve")

    body = ask(gate_client, service="payments", sha=change.sha, environment="prod").json()

    assert body["decision"] == "allow"
    assert body["environment"] == "production"
    assert all(control["passed"] for control in body["controls"])


def test_it_warns_when_the_owner_overrode_a_deny_with_a_reason(gate_client):
    change = change_awaiting_signoff()
    change.evidence.filter(kind="ci_tests").delete()
    signoff_append(
        change=change,
        signer=change.service.owner_of_record,
        decision="approve",
        policy_decision="deny",
        override_reason="Hotfix for an outage; tests run after.",
    )

    body = ask(gate_client, service="payments", sha=change.sha).json()

    assert body["decision"] == "warn"
    assert {
        "code": "owner_override",
        "label": "Owner overrode the policy",
        "level": "required",
        "passed": True,
        "sentence": "The owner approved despite the failed controls: "
        "“Hotfix for an outage; tests run after.”.",
    } in body["controls"]


def test_it_denies_an_unregistered_change_instead_of_answering_404(gate_client):
    ServiceFactory(slug="payments")

    response = ask(gate_client, service="payments", sha="ab" * 20, environment="production")

    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "deny"
    assert body["change"] is None
    assert body["policy_version"] is None
    assert [c["code"] for c in body["controls"]] == ["change_registered"]
    assert body["controls"][0]["sentence"].startswith("Change not registered")


def test_it_denies_an_unknown_service(gate_client):
    body = ask(gate_client, service="nope", sha="ab" * 20).json()

    assert body["decision"] == "deny"
    assert body["controls"][0]["code"] == "service_registered"


def test_it_finds_a_change_by_one_of_its_pull_requests_commits(gate_client):
    change = change_awaiting_signoff()
    change.commit_shas = ["cd" * 20]
    change.save()

    body = ask(gate_client, service="payments", sha="CD" * 20).json()

    assert body["change"]["id"] == change.id


def test_it_stores_every_decision_for_the_change_page_and_audits_it(gate_client):
    change = change_awaiting_signoff()
    ask(gate_client, service="payments", sha=change.sha, environment="staging")
    ask(gate_client, service="payments", sha=change.sha, environment="production")

    decisions = list(gate_decisions_for(change=change))

    assert [(d.environment, d.decision) for d in decisions] == [("production", "deny"), ("staging", "allow")]
    assert decisions[0].requested_by == "api:deploy-pipeline"
    assert decisions[0].requested_by_token.name == "deploy-pipeline"
    assert decisions[0].policy_version == 1
    assert AuditEvent.objects.filter(action="api.gate", actor_label="api:deploy-pipeline").count() == 2


def test_it_refuses_a_malformed_sha_with_the_field_path(gate_client):
    response = ask(gate_client, service="payments", sha="not-a-sha")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.sha"
    assert not GateDecision.objects.exists()


def test_it_requires_the_gate_scope(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', 'changes:write')}"

    response = ask(client, service="payments", sha="ab" * 20)

    assert response.status_code == 403
    assert response.json() == {"message": "this token lacks the 'gate' scope", "errors": []}
