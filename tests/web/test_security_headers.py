"""Every kind of response carries the security headers: pages, htmx partials' pages, the API, webhooks."""

import pytest

from accountability.api.tokens import token_create
from tests.factories import ServiceFactory, SourceFactory, user_with_role

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def security_headers(response) -> dict:
    return {name: response.headers.get(name) for name in HEADERS}


@pytest.fixture
def viewer_client(client):
    client.force_login(user_with_role("viewer"))
    return client


def test_it_sends_them_on_the_login_page(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert security_headers(response) == HEADERS


@pytest.mark.parametrize("path", ["/", "/review/", "/search/?q=payments", "/services/payments/"])
def test_it_sends_them_on_dashboard_pages(viewer_client, path):
    ServiceFactory(slug="payments")
    response = viewer_client.get(path)
    assert response.status_code == 200
    assert security_headers(response) == HEADERS


def test_it_sends_them_on_an_htmx_partial(viewer_client):
    response = viewer_client.get("/review/?sort=risk", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert security_headers(response) == HEADERS


def test_it_sends_them_on_api_answers_good_and_bad(client):
    _, raw = token_create(name="reader", scopes=["read"])
    good = client.get("/api/v1/services", HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = client.get("/api/v1/services")
    missing = client.get("/api/v1/nowhere", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert [good.status_code, refused.status_code, missing.status_code] == [200, 401, 404]
    for response in (good, refused, missing):
        assert security_headers(response) == HEADERS


def test_it_sends_them_on_webhook_answers(client):
    SourceFactory(kind="github", name="gh", secret="s3cret-value")
    response = client.post("/webhooks/github/gh/", b"{}", content_type="application/json")
    assert response.status_code == 401
    assert security_headers(response) == HEADERS


def test_it_marks_the_session_cookie_http_only_and_same_site(client):
    from tests.factories import TEST_PASSWORD, UserFactory

    UserFactory(username="alice")
    response = client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
