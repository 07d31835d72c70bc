"""Sign-in through a real OpenID Connect provider (tests/identity/provider.py, in its own process), driven in
headless Chromium: first login and linking, roles from groups and their removal, step-up at signing with
max_age, tokens the app must refuse, and a person who left."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore

from accountability.api.models import ApiToken
from accountability.changes.models import SignOff
from accountability.identity.discovery import discovery_forget
from accountability.identity.models import ProviderIdentity
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    EvidenceFactory,
    MembershipFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    TeamFactory,
)
from tests.identity import provider as idp

PORT = 18200
ISSUER = f"http://127.0.0.1:{PORT}"
OWNERS = ["accountability-owners"]


def _call(path: str, body: dict | None = None) -> dict:
    if body is None:
        response = requests.get(f"{ISSUER}{path}", timeout=10)
    else:
        response = requests.post(f"{ISSUER}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="session")
def provider_process():
    process = subprocess.Popen([sys.executable, str(Path(idp.__file__)), str(PORT)])
    deadline = time.monotonic() + 20
    while True:
        try:
            _call("/.well-known/openid-configuration")
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.2)
    yield process
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def provider(provider_process, settings):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = idp.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = idp.CLIENT_SECRET
    settings.OIDC_GITHUB_LOGIN_CLAIM = "github_login"
    settings.OIDC_PROVIDER_NAME = "the test provider"
    discovery_forget()
    _call("/control", {"mode": "normal"})
    yield _call
    discovery_forget()


@pytest.fixture
def ada(transactional_db):
    """Ada owns Payments API through her team; she has no account here yet."""
    team = TeamFactory(name="Payments")
    ada = PersonFactory(name="Ada Lovelace", email="ada@example.com", github_login="ada-l")
    MembershipFactory(person=ada, team=team)
    service = ServiceFactory(name="Payments API", tier=2, owner_team=team)
    change = ChangeFactory(service=service, author_logins=["alice"])
    AIProvenanceFactory(change=change, level="none", ai_share=0, confidence="line_level")
    EvidenceFactory(change=change, sha=change.sha)
    EvidenceFactory(change=change, kind="human_review", actor_login="bob", sha=change.sha)
    RollbackPlanFactory(change=change, data_reversible=True)
    ada.change = change
    return ada


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def provider_user(provider, username="ada", **record):
    defaults = {"password": "ada-pw", "sub": f"sub-{username}", "email": "ada@example.com", "groups": OWNERS}
    provider("/control", {"users": {username: defaults | record}})


def sign_in(page, username="ada", password="ada-pw", next_path="/"):  # noqa: S107 - the test provider's
    page.goto(f"/login/?next={next_path}")
    page.get_by_role("link", name="Sign in with the test provider").click()
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(password)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.wait_for_load_state()


def session_of(page) -> SessionStore:
    key = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "sessionid")
    return SessionStore(session_key=key)


def test_a_first_login_creates_the_user_linked_to_their_person_with_the_role_of_their_groups(
    page, provider, ada
):
    provider_user(provider)

    sign_in(page, next_path=f"/changes/{ada.change.pk}/")

    ada.refresh_from_db()
    assert ada.user is not None
    assert ProviderIdentity.objects.get(user=ada.user).subject == "sub-ada"
    assert set(ada.user.groups.values_list("name", flat=True)) == {"owner", "viewer"}
    # The owner role from the provider's group: the sign-off form is offered.
    assert page.get_by_role("button", name="Sign").is_visible()


def test_someone_not_in_the_catalog_gets_a_clear_page_and_no_account(page, provider, ada, django_user_model):
    provider_user(provider, username="eve", sub="sub-eve", email="eve@example.com", password="eve-pw")

    sign_in(page, username="eve", password="eve-pw")

    assert page.get_by_role("heading", name="You are not signed in").is_visible()
    assert "nobody in the catalog has your verified e-mail" in page.content()
    assert not django_user_model.objects.filter(email="eve@example.com").exists()


def test_a_group_removed_at_the_provider_removes_the_role_at_the_next_check(page, provider, ada):
    provider_user(provider)
    sign_in(page, next_path=f"/changes/{ada.change.pk}/")
    assert page.get_by_role("button", name="Sign").is_visible()

    provider_user(provider, groups=[])
    session = session_of(page)
    session["oidc_id_token_expiration"] = 0  # the re-check interval has passed
    session.save()
    page.goto(f"/changes/{ada.change.pk}/")

    assert "Signing off needs the owner role" in page.content()
    ada.refresh_from_db()
    assert not ada.user.groups.filter(name="owner").exists()


def test_signing_with_an_old_sign_in_goes_back_to_the_provider_with_max_age_and_keeps_the_form(
    page, provider, ada
):
    provider_user(provider)
    sign_in(page, next_path=f"/changes/{ada.change.pk}/")
    session = session_of(page)
    session["identity_auth"]["at"] -= 3600
    session.save()
    provider("/control", {"age_sessions": 3600})
    for label in ("I read the AI-written parts", "I understood the blast radius", "The rollback is ready"):
        page.get_by_label(label).check()
    page.get_by_label("I or my named delegate am on call through the bake window").check()
    page.get_by_label("Note (optional)").fill("Checked the dashboards first.")
    page.get_by_role("button", name="Sign").click()

    # Sent to sign in again: nothing was signed yet.
    page.wait_for_url("**/login/?*")
    assert page.get_by_role("heading", name="Sign in again to sign off").is_visible()
    assert not SignOff.objects.exists()
    page.get_by_role("link", name="Sign in with the test provider").click()
    last = provider("/control")["authorize"][-1]
    assert (last.get("prompt"), last.get("max_age")) == ("login", "900")
    page.get_by_label("Provider username").fill("ada")
    page.get_by_label("Provider password").fill("ada-pw")
    page.get_by_role("button", name="Sign in at the provider").click()

    page.wait_for_url(f"**/changes/{ada.change.pk}/*")
    assert page.get_by_label("The rollback is ready").is_checked()
    assert page.get_by_label("Note (optional)").input_value() == "Checked the dashboards first."
    page.get_by_role("button", name="Sign").click()

    entry = SignOff.objects.get()
    assert (entry.auth_method, entry.auth_provider, entry.auth_amr, entry.auth_acr) == (
        "oidc",
        ISSUER,
        "pwd",
        "urn:test:loa:1",
    )
    assert time.time() - entry.auth_at.timestamp() < 120
    assert f"with {ISSUER}" in page.locator(".signed-in").inner_text()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_key", "JWS token verification failed"),
        ("wrong_audience", "not meant for this application"),
        ("expired", "ID token has expired"),
    ],
)
def test_it_refuses_an_id_token_it_must_not_trust(page, provider, ada, mode, reason):
    provider_user(provider)
    provider("/control", {"mode": mode})

    sign_in(page)

    assert page.get_by_role("heading", name="You are not signed in").is_visible()
    assert reason in page.content()
    ada.refresh_from_db()
    assert ada.user is None


def test_a_person_marked_departed_loses_sessions_and_tokens_and_cannot_sign_in_again(page, provider, ada):
    provider_user(provider)
    sign_in(page)
    ada.refresh_from_db()
    token = ApiToken.objects.create(
        name="ada's script", prefix="ada1", token_hash="0" * 64, created_by=ada.user
    )

    ada.is_active = False
    ada.save()

    page.goto("/")
    assert "/login/" in page.url
    token.refresh_from_db()
    assert token.revoked_at is not None
    # The provider still has a session for her: it vouches for her at once, and the catalog says no.
    page.get_by_role("link", name="Sign in with the test provider").click()
    assert "marked as departed" in page.content()


def test_a_user_the_provider_refuses_at_the_check_is_signed_out_everywhere(page, provider, ada):
    provider_user(provider)
    sign_in(page)
    ada.refresh_from_db()
    token = ApiToken.objects.create(
        name="ada's pipeline", prefix="ada2", token_hash="1" * 64, created_by=ada.user
    )

    provider_user(provider, disabled=True)
    session = session_of(page)
    session["oidc_id_token_expiration"] = 0
    session.save()
    page.goto("/")

    assert "refused the sign-in (access_denied)" in page.content()
    token.refresh_from_db()
    assert token.revoked_at is not None
    page.goto("/")
    assert "/login/" in page.url
