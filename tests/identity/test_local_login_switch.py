"""LOCAL_LOGIN=0: passwords stop working, except for the documented break-glass admin."""

import pytest

from tests.factories import TEST_PASSWORD, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_off(settings):
    settings.LOCAL_LOGIN = False
    settings.BREAK_GLASS_USERNAME = "breakglass"
    settings.OIDC_ISSUER = "https://login.example.com"


def log_in(client, username: str):
    return client.post("/login/", {"username": username, "password": TEST_PASSWORD})


def test_a_password_login_works_while_local_logins_are_on(client):
    UserFactory(username="olga")
    assert log_in(client, "olga").status_code == 302


def test_a_password_login_is_refused_when_local_logins_are_off(client, local_off):
    UserFactory(username="olga")

    response = log_in(client, "olga")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_break_glass_admin_still_logs_in_with_a_password(client, local_off):
    UserFactory(username="breakglass", is_superuser=True, is_staff=True)

    assert log_in(client, "breakglass").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_login_page_offers_the_provider_and_hides_the_password_form(client, local_off):
    page = client.get("/login/").content.decode()

    assert "Sign in with" in page
    assert 'name="password"' not in page
    assert 'name="password"' in client.get("/login/?break_glass=1").content.decode()


def test_a_person_who_left_cannot_log_in_with_a_password(client):
    user = UserFactory(username="gone")
    PersonFactory(user=user, is_active=False)

    assert log_in(client, "gone").status_code == 200
