"""The debug page never shows the credentials in DATABASE_URL, REDIS_URL or CELERY_BROKER_URL (issue 14)."""

from django.test import RequestFactory

from accountability.web.debug import CredentialsHidingFilter

URLS = {
    "DATABASE_URL": "postgres://accountability:db-pass-123@postgres:5432/accountability",
    "REDIS_URL": "redis://:redis-pass-456@redis:6379/0",
    "CELERY_BROKER_URL": "redis://:broker-pass-789@redis:6379/0",
}


def test_settings_with_credentials_in_urls_are_hidden(settings):
    for name, value in URLS.items():
        setattr(settings, name, value)
    settings.SOME_OTHER_ENDPOINT = "https://user:other-pass@example.com/x"

    shown = repr(CredentialsHidingFilter().get_safe_settings())

    for secret in ("db-pass-123", "redis-pass-456", "broker-pass-789", "other-pass"):
        assert secret not in shown


def test_the_request_environment_is_cleansed_too():
    request = RequestFactory().get("/", **URLS)

    shown = repr(CredentialsHidingFilter().get_safe_request_meta(request))

    assert "db-pass-123" not in shown and "broker-pass-789" not in shown


def test_it_is_the_filter_django_uses(settings):
    from django.views.debug import get_exception_reporter_filter

    assert isinstance(get_exception_reporter_filter(RequestFactory().get("/")), CredentialsHidingFilter)
