"""A sign-off needs an authentication within SIGNOFF_MAX_AUTH_AGE_SECONDS."""

from accountability.identity.claims import auth_has_method, auth_is_recent

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


def test_with_no_method_required_any_sign_in_will_do():
    assert auth_has_method(auth={"amr": ["pwd"]}, required=[])
    assert auth_has_method(auth={}, required=[])


def test_a_required_method_must_be_among_the_amr_values():
    assert auth_has_method(auth={"amr": ["pwd", "hwk"]}, required=["hwk", "mfa"])
    assert not auth_has_method(auth={"amr": ["pwd"]}, required=["hwk", "mfa"])
    assert not auth_has_method(auth=None, required=["hwk"])
