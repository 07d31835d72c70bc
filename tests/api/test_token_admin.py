import pytest
from django.contrib.auth import get_user_model

from accountability.api.models import ApiToken
from accountability.api.tokens import token_authenticate, token_create
from accountability.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    get_user_model().objects.create_superuser("root", "root@example.com", TEST_PASSWORD)
    client.login(username="root", password=TEST_PASSWORD)
    return client


def test_it_creates_a_token_and_shows_it_once(admin_client):
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"name": "deploy-bot", "scopes": ["gate", "read"]}, follow=True
    )

    assert response.status_code == 200
    token = ApiToken.objects.get(name="deploy-bot")
    (message,) = [str(m) for m in response.context["messages"] if "shown once" in str(m)]
    raw = message.rsplit(": ", 1)[1]
    assert token_authenticate(raw=raw) == token
    assert token.scopes == ["gate", "read"]
    assert raw.encode() not in admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content


def test_it_revokes_tokens_with_an_action(admin_client):
    token, raw = token_create(name="old", scopes=["read"])

    admin_client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(raw=raw) is None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()


def test_it_creates_a_token_limited_to_a_team_and_a_service(admin_client):
    team, service = TeamFactory(slug="payments-team"), ServiceFactory(slug="checkout")

    admin_client.post(
        "/admin/api/apitoken/add/",
        {"name": "payments-ci", "scopes": ["gate"], "limit_teams": [team.pk], "limit_services": [service.pk]},
        follow=True,
    )

    token = ApiToken.objects.get(name="payments-ci")
    assert (list(token.limit_teams.all()), list(token.limit_services.all())) == ([team], [service])
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert "payments-team" in page or str(team) in page
