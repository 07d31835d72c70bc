"""Login rate limiting: five failures for one username from one address, then 429 until the window ends."""

import uuid

import pytest
from django.test import override_settings

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FULL_WIDTH_VICTIM = "".join(chr(0xFEE0 + ord(c)) for c in "victim")


@pytest.fixture
def here():
    """Client addresses of this test alone: counts live in the shared Redis cache (never flushed here,
    workers use it too) and outlive the test."""
    run = uuid.uuid4().hex[:12]
    return lambda n=1: f"test-{run}-{n}"


def attempt(client, username, password, address, path="/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


@override_settings(LOGIN_MAX_FAILURES=5)
def test_it_refuses_the_sixth_attempt_with_a_429_page(client, here):
    UserFactory(username="alice")
    for _ in range(5):
        assert attempt(client, "alice", "wrong", here()).status_code == 200

    response = attempt(client, "alice", TEST_PASSWORD, here())

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "Wait 15 minutes" in response.content.decode()
    # Even the right password is refused while throttled: nobody is logged in.
    assert client.get("/").status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_it_counts_per_username_and_address(client, here):
    UserFactory(username="alice")
    UserFactory(username="bob")
    for _ in range(3):
        attempt(client, "alice", "wrong", address=here(1))

    assert attempt(client, "ALICE ", "wrong", address=here(1)).status_code == 429
    # The same username from another address, and another username from the same address, still log in.
    assert attempt(client, "alice", TEST_PASSWORD, address=here(2)).status_code == 302
    client.post("/logout/")
    assert attempt(client, "bob", TEST_PASSWORD, address=here(1)).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_it_clears_the_count_after_a_successful_login(client, here):
    UserFactory(username="alice")
    attempt(client, "alice", "wrong", here())
    attempt(client, "alice", "wrong", here())
    assert attempt(client, "alice", TEST_PASSWORD, here()).status_code == 302
    client.post("/logout/")

    attempt(client, "alice", "wrong", here())
    attempt(client, "alice", "wrong", here())

    assert attempt(client, "alice", TEST_PASSWORD, here()).status_code == 302


# A window of a few seconds: three sign-in attempts (password hashing included) take well over a second on a
# busy machine, and the failures must still be inside the window when the third is counted.
@override_settings(LOGIN_MAX_FAILURES=2, LOGIN_FAILURE_WINDOW_SECONDS=4)
def test_it_lets_the_user_try_again_after_the_window(client, here):
    import time

    UserFactory(username="alice")
    attempt(client, "alice", "wrong", here())
    attempt(client, "alice", "wrong", here())
    assert attempt(client, "alice", TEST_PASSWORD, here()).status_code == 429

    time.sleep(4.2)

    assert attempt(client, "alice", TEST_PASSWORD, here()).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=2)
def test_it_throttles_the_admin_login_too(client, here):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(2):
        assert attempt(client, "root", "wrong", here(), path="/admin/login/").status_code == 200

    response = attempt(client, "root", TEST_PASSWORD, here(), path="/admin/login/")

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_it_counts_the_full_width_spelling_as_the_same_username(client, here):
    # Django's login form NFKC-normalises the username, so the full-width spelling authenticates as `victim`.
    UserFactory(username="victim")
    for _ in range(3):
        attempt(client, "victim", "wrong", here())

    response = attempt(client, FULL_WIDTH_VICTIM, TEST_PASSWORD, here())

    assert response.status_code == 429
    assert client.get("/").status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_another_users_login_does_not_clear_the_count(client, here):
    UserFactory(username="victim")
    UserFactory(username="mallory")
    assert attempt(client, "mallory", TEST_PASSWORD, here()).status_code == 302

    # Signed in as herself, mallory keeps guessing victim's password and posting the form.
    for _ in range(3):
        attempt(client, "victim", "wrong", here())
        attempt(client, "victim", "wrong", here())

    client.post("/logout/")
    assert attempt(client, "victim", TEST_PASSWORD, here()).status_code == 429


@override_settings(LOGIN_MAX_FAILURES=3)
def test_a_signed_in_users_post_for_another_name_is_counted(client, here):
    UserFactory(username="victim")
    UserFactory(username="mallory")
    assert attempt(client, "mallory", TEST_PASSWORD, here()).status_code == 302
    for _ in range(3):
        attempt(client, "victim", "guess", here())

    client.post("/logout/")

    assert attempt(client, "victim", TEST_PASSWORD, here()).status_code == 429
