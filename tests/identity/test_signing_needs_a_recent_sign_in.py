"""Step-up at signing with a password session: an old sign-in signs in again, and the form waits for it."""

import time

import pytest

from accountability.changes.ledger import ledger_verify, signoff_append
from accountability.changes.models import SignOff
from tests.factories import (
    TEST_PASSWORD,
    AIProvenanceFactory,
    ChangeFactory,
    EvidenceFactory,
    MembershipFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

SIGNED = {
    "decision": "approve",
    "read_ai_parts": "on",
    "understood_blast_radius": "on",
    "rollback_ready": "on",
    "on_call_through_bake": "on",
    "note": "watched the canary",
}


@pytest.fixture
def owner():
    return PersonFactory(name="Olga Owner", github_login="olga")


@pytest.fixture
def change(owner):
    service = ServiceFactory(name="Payments API", tier=2, owner_of_record=owner)
    MembershipFactory(person=owner, team=service.owner_team)
    change = ChangeFactory(service=service, author_logins=["alice"])
    AIProvenanceFactory(change=change, level="none", ai_share=0, confidence="line_level")
    EvidenceFactory(change=change, sha=change.sha)
    EvidenceFactory(change=change, kind="human_review", actor_login="bob", sha=change.sha)
    RollbackPlanFactory(change=change, data_reversible=True)
    return change


@pytest.fixture
def olga(client, owner):
    user = user_with_role("owner", username="olga", person=owner)
    client.force_login(user)
    return user


def age_sign_in(client, seconds: int) -> None:
    session = client.session
    session["identity_auth"]["at"] = time.time() - seconds
    session.save()


def test_a_recent_sign_in_signs_at_once_and_the_ledger_says_how(client, olga, change):
    response = client.post(f"/changes/{change.pk}/sign/", SIGNED)

    assert response.status_code == 302
    entry = SignOff.objects.get()
    assert (entry.auth_method, entry.auth_provider) == ("password", "local")
    assert time.time() - entry.auth_at.timestamp() < 60
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert "with a password" in page


def test_an_old_sign_in_is_sent_to_sign_in_again_and_nothing_is_signed(client, olga, change, settings):
    age_sign_in(client, settings.SIGNOFF_MAX_AUTH_AGE_SECONDS + 5)

    response = client.post(f"/changes/{change.pk}/sign/", SIGNED)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?")
    assert "reauth=1" in response["Location"]
    assert not SignOff.objects.exists()
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    assert "Sign in again to sign off" in login_page.content.decode()
    # The form posts back with reauth, or Django's login view would send a signed-in user on unauthenticated.
    assert 'action="/login/?reauth=1"' in login_page.content.decode()


def test_after_signing_in_again_the_form_is_as_it_was_ticked(client, olga, change, settings):
    age_sign_in(client, settings.SIGNOFF_MAX_AUTH_AGE_SECONDS + 5)
    client.post(f"/changes/{change.pk}/sign/", SIGNED)

    back = client.post(
        "/login/?reauth=1", {"username": "olga", "password": TEST_PASSWORD, "next": f"/changes/{change.pk}/"}
    )
    assert back.status_code == 302
    page = client.get(back["Location"]).content.decode()

    assert page.count(" checked>") == 4 + 1  # four attestations and the "approve" radio
    assert "watched the canary" in page
    assert client.post(f"/changes/{change.pk}/sign/", SIGNED).status_code == 302
    assert SignOff.objects.get().auth_method == "password"


def test_the_kept_form_is_only_restored_on_its_own_change(client, olga, change, settings):
    other = ChangeFactory(service=change.service)
    age_sign_in(client, settings.SIGNOFF_MAX_AUTH_AGE_SECONDS + 5)
    client.post(f"/changes/{change.pk}/sign/", SIGNED)

    assert "watched the canary" not in client.get(f"/changes/{other.pk}/").content.decode()
    assert "watched the canary" in client.get(f"/changes/{change.pk}/").content.decode()


def test_the_chain_verifies_with_entries_from_before_and_after_auth_was_recorded(client, olga, owner, change):
    signoff_append(change=change, signer=owner, decision="reject", note="before sign-in was recorded")
    client.post(f"/changes/{change.pk}/sign/", SIGNED)

    assert SignOff.objects.count() == 2
    assert ledger_verify().ok


def test_a_required_method_the_sign_in_did_not_use_sends_it_to_sign_in_again(client, olga, change, settings):
    settings.SIGNOFF_REQUIRED_AMR = ["hwk"]

    response = client.post(f"/changes/{change.pk}/sign/", SIGNED)

    assert response.status_code == 302
    assert "reauth=1" in response["Location"]
    assert not SignOff.objects.exists()
    assert "one of: hwk" in client.get(response["Location"]).content.decode()
