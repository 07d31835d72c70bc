"""A sign-off needs an authentication within SIGNOFF_MAX_AUTH_AGE_SECONDS."""

from accountability.identity.claims import auth_is_recent

NOW = 1_800_000_000.0


def test_a_sign_in_within_the_limit_is_recent():
    assert auth_is_recent(auth={"at": NOW - 899}, now=NOW, max_age=900)
    assert auth_is_recent(auth={"at": NOW - 900}, now=NOW, max_age=900)


def test_an_older_sign_in_is_not():
    assert not auth_is_recent(auth={"at": NOW - 901}, now=NOW, max_age=900)


def test_a_session_with_no_recorded_sign_in_is_not():
    assert not auth_is_recent(auth=None, now=NOW, max_age=900)
    assert not auth_is_recent(auth={"method": "password"}, now=NOW, max_age=900)
    assert not auth_is_recent(auth={"at": "yesterday"}, now=NOW, max_age=900)


def test_a_time_in_the_future_is_not_trusted():
    assert auth_is_recent(auth={"at": NOW + 30}, now=NOW, max_age=900)
    assert not auth_is_recent(auth={"at": NOW + 3600}, now=NOW, max_age=900)
