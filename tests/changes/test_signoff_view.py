"""The owner signs for a change: the four attestations, an override reason for a deny, revoke, refusals."""

import pytest

from accountability.audit.models import AuditEvent
from accountability.changes.models import SignOff
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    EvidenceFactory,
    MembershipFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

ATTESTATIONS = {
    "read_ai_parts": "on",
    "understood_blast_radius": "on",
    "rollback_ready": "on",
    "on_call_through_bake": "on",
}


@pytest.fixture
def owner():
    return PersonFactory(name="Olga Owner", github_login="olga")


@pytest.fixture
def service(owner):
    service = ServiceFactory(name="Payments API", tier=1, owner_of_record=owner)
    MembershipFactory(person=owner, team=service.owner_team)
    return service


@pytest.fixture
def denied_change(service):
    """Tier 1, AI generated, no human review: the policy denies it whoever signs."""
    change = ChangeFactory(service=service, author_logins=["copilot-swe-agent[bot]"])
    AIProvenanceFactory(change=change, level="generated")
    EvidenceFactory(change=change, sha=change.sha)
    DeploymentFactory(change=change, environment="staging")
    return change


@pytest.fixture
def allowed_change(service):
    change = ChangeFactory(service=service, author_logins=["alice"])
    AIProvenanceFactory(change=change, level="none", ai_share=0, confidence="line_level")
    EvidenceFactory(change=change, sha=change.sha)
    EvidenceFactory(change=change, kind="human_review", actor_login="bob", sha=change.sha)
    RollbackPlanFactory(change=change, data_reversible=True)
    return change


@pytest.fixture
def owner_client(client, owner):
    client.force_login(user_with_role("owner", person=owner))
    return client


def test_it_records_an_approval_with_its_attestations_and_audits_it(owner_client, owner, allowed_change):
    response = owner_client.post(
        f"/changes/{allowed_change.pk}/sign/", {"decision": "approve", "note": "Looks right", **ATTESTATIONS}
    )

    assert response.status_code == 302
    entry = SignOff.objects.get(change=allowed_change)
    assert (entry.signer, entry.decision, entry.note) == (owner, "approve", "Looks right")
    assert entry.read_ai_parts and entry.understood_blast_radius and entry.rollback_ready
    assert entry.on_call_through_bake
    assert entry.policy_version == 1 and entry.policy_decision in ("allow", "warn")
    event = AuditEvent.objects.get(action="signoff.approve")
    assert event.object_id == str(entry.pk) and event.actor.username == "owner"
    page = owner_client.get(f"/changes/{allowed_change.pk}/").content.decode()
    assert "signed by Olga Owner" in page and "ledger verified" in page


def test_it_refuses_an_approval_without_the_four_attestations(owner_client, allowed_change):
    response = owner_client.post(f"/changes/{allowed_change.pk}/sign/", {"decision": "approve"})

    assert response.status_code == 400
    assert "Tick this to approve" in response.content.decode()
    assert not SignOff.objects.exists()


def test_it_needs_a_written_reason_to_approve_a_denied_change(owner_client, denied_change):
    refused = owner_client.post(f"/changes/{denied_change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})
    assert refused.status_code == 400
    assert "override reason" in refused.content.decode()
    assert not SignOff.objects.exists()

    accepted = owner_client.post(
        f"/changes/{denied_change.pk}/sign/",
        {
            "decision": "approve",
            "override_reason": "Hotfix for a live outage; review follows.",
            **ATTESTATIONS,
        },
    )

    assert accepted.status_code == 302
    entry = SignOff.objects.get(change=denied_change)
    assert entry.policy_decision == "deny"
    assert entry.override_reason == "Hotfix for a live outage; review follows."


def test_it_records_a_rejection_without_attestations(owner_client, denied_change):
    response = owner_client.post(
        f"/changes/{denied_change.pk}/sign/", {"decision": "reject", "note": "No review"}
    )

    assert response.status_code == 302
    assert SignOff.objects.get(change=denied_change).decision == "reject"


def test_it_revokes_an_approval_with_a_later_entry(owner_client, allowed_change):
    owner_client.post(f"/changes/{allowed_change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})
    approval = SignOff.objects.get()

    response = owner_client.post(
        f"/changes/{allowed_change.pk}/revoke/", {"signoff": approval.pk, "note": "Found a bug in staging"}
    )

    assert response.status_code == 302
    revoke = SignOff.objects.get(decision="revoke")
    assert revoke.revokes == approval
    approval.refresh_from_db()
    assert approval.decision == "approve"
    assert AuditEvent.objects.filter(action="signoff.revoke").count() == 1
    page = owner_client.get(f"/changes/{allowed_change.pk}/").content.decode()
    assert "no standing sign-off" in page


def test_it_lets_a_member_of_the_owning_team_sign(client, service, allowed_change):
    teammate = PersonFactory(name="Tom Teammate")
    MembershipFactory(person=teammate, team=service.owner_team)
    client.force_login(user_with_role("owner", username="tom", person=teammate))

    response = client.post(f"/changes/{allowed_change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})

    assert response.status_code == 302
    assert SignOff.objects.get().signer == teammate


def test_it_refuses_an_outsider_with_a_page_saying_why(client, allowed_change):
    outsider = PersonFactory(name="Otto Outsider")
    client.force_login(user_with_role("owner", username="otto", person=outsider))

    response = client.post(f"/changes/{allowed_change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})

    assert response.status_code == 403
    body = response.content.decode()
    assert "Only its owner of record (Olga Owner) or a member of" in body
    assert "Otto Outsider is neither" in body
    assert not SignOff.objects.exists()
    page = client.get(f"/changes/{allowed_change.pk}/").content.decode()
    assert "Otto Outsider is neither" in page and 'action="/changes/' not in page


def test_it_refuses_a_departed_owner(client, owner, allowed_change):
    owner.is_active = False
    owner.save()
    client.force_login(user_with_role("owner", person=owner))

    response = client.post(f"/changes/{allowed_change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})

    assert response.status_code == 403
    assert "departed" in response.content.decode()


def test_it_answers_404_for_a_missing_change(owner_client):
    assert owner_client.post("/changes/999999/sign/", {"decision": "approve"}).status_code == 404
    assert owner_client.get("/changes/999999/").status_code == 404
