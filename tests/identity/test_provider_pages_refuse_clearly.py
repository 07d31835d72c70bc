"""The sign-in flow answers bad or hostile requests with a clear 4xx page (a provider that is down: 502)."""

import pytest

from accountability.identity.discovery import discovery_forget

pytestmark = pytest.mark.django_db


@pytest.fixture
def oidc_on(settings):
    # Nothing listens on this port: anything that needed the provider would fail.
    settings.OIDC_ISSUER = "http://127.0.0.1:18299"
    settings.OIDC_RP_CLIENT_ID = "dashboard"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    discovery_forget()
    yield
    discovery_forget()


def test_the_flow_is_absent_while_oidc_is_off(client):
    assert client.get("/oidc/login/").status_code == 404
    assert client.get("/oidc/callback/?code=a&state=b").status_code == 404


def test_a_callback_nobody_started_is_refused(client, oidc_on):
    response = client.get("/oidc/callback/?code=a&state=b")

    assert response.status_code == 400
    assert "start again from the login page" in response.content.decode()


def test_a_callback_with_a_state_we_did_not_issue_is_refused(client, oidc_on):
    session = client.session
    session["oidc_states"] = {"ours": {"nonce": "n", "code_verifier": "v", "added_on": 0}}
    session.save()

    response = client.get("/oidc/callback/?code=a&state=forged")

    assert response.status_code == 400
    assert "The sign-in was refused" in response.content.decode()


def test_an_error_from_the_provider_is_shown_escaped(client, oidc_on):
    response = client.get("/oidc/callback/?error=<script>alert(1)</script>&state=x")

    assert response.status_code == 403
    assert "<script>alert" not in response.content.decode()
    assert "refused the sign-in" in response.content.decode()


def test_a_provider_that_cannot_be_reached_gets_a_page_not_a_crash(client, oidc_on):
    response = client.get("/oidc/login/")

    assert response.status_code == 502
    assert "cannot be reached" in response.content.decode()


def test_the_login_page_offers_the_provider_beside_the_password(client, oidc_on):
    page = client.get("/login/").content.decode()

    assert 'href="/oidc/login/?next=' in page
    assert 'name="password"' in page
