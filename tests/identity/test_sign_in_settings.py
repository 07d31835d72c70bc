"""Sign-in settings that cannot work stop startup with a message naming them."""

from tests.web.test_production_settings import manage


def test_an_issuer_without_client_credentials_stops_startup():
    result = manage("check", OIDC_ISSUER="https://login.example.com", OIDC_CLIENT_ID="dashboard")

    assert result.returncode != 0
    assert "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required" in result.stderr


def test_turning_local_logins_off_without_a_provider_stops_startup():
    result = manage("check", LOCAL_LOGIN="0")

    assert result.returncode != 0
    assert "LOCAL_LOGIN=0 needs OIDC_ISSUER" in result.stderr


def test_a_full_sign_in_configuration_starts():
    result = manage(
        "check",
        OIDC_ISSUER="https://login.example.com",
        OIDC_CLIENT_ID="dashboard",
        OIDC_CLIENT_SECRET="s3cret",
        LOCAL_LOGIN="0",
        BREAK_GLASS_USERNAME="root",
    )

    assert result.returncode == 0, result.stderr
