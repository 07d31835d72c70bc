"""Behind our nginx, the login throttle counts the client's address, not the proxy's (web/proxy.py)."""

import uuid

import pytest
from django.test import override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "172.28.0.10"


@pytest.fixture
def alice():
    """A username of this run alone: counts live in the shared Redis cache and outlive the test."""
    return UserFactory(username=f"alice-{uuid.uuid4().hex[:12]}").username


def attempt(client, username, remote, forwarded):
    return client.post(
        "/login/",
        {"username": username, "password": "wrong"},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@override_settings(LOGIN_MAX_FAILURES=2, TRUSTED_PROXIES=[PROXY])
def test_clients_behind_the_proxy_are_counted_apart(client, alice):
    attempt(client, alice, PROXY, "203.0.113.7")
    attempt(client, alice, PROXY, "203.0.113.7")

    assert attempt(client, alice, PROXY, "203.0.113.7").status_code == 429
    assert attempt(client, alice, PROXY, "198.51.100.9").status_code == 200


@override_settings(LOGIN_MAX_FAILURES=2, TRUSTED_PROXIES=[PROXY])
def test_a_client_not_behind_the_proxy_cannot_choose_its_address(client, alice):
    attempt(client, alice, "203.0.113.50", "192.0.2.1")
    attempt(client, alice, "203.0.113.50", "192.0.2.2")

    assert attempt(client, alice, "203.0.113.50", "192.0.2.3").status_code == 429
