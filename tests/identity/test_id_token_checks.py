"""The ID token checks mozilla-django-oidc leaves to us: issuer, audience, authorised party, expiry, iat."""

import pytest
from django.core.exceptions import SuspiciousOperation

from accountability.identity.backends import id_token_claims_check

ISSUER = "https://login.example.com/realms/acme"
NOW = 1_800_000_000


def token(**overrides) -> dict:
    return {"iss": ISSUER, "aud": "dashboard", "exp": NOW + 300, "iat": NOW - 5, "sub": "s1"} | overrides


def check(payload: dict) -> None:
    id_token_claims_check(payload, issuer=ISSUER, client_id="dashboard", now=NOW)


def accepted(payload: dict) -> bool:
    try:
        check(payload)
    except SuspiciousOperation:
        return False
    return True


def test_it_accepts_a_current_token_for_us_from_our_issuer():
    assert accepted(token())
    assert accepted(token(aud=["dashboard", "api"], azp="dashboard"))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://evil.example.com"}, "issuer"),
        ({"aud": "another-app"}, "audience"),
        ({"aud": ["another-app", "api"]}, "audience"),
        ({"aud": ["dashboard", "api"], "azp": "api"}, "authorised party"),
        ({"exp": NOW - 61}, "expired"),
        ({"exp": None}, "expired"),
        ({"iat": NOW + 600}, "future"),
    ],
)
def test_it_refuses_a_token_that_is_not_ours_or_not_current(overrides, reason):
    with pytest.raises(SuspiciousOperation, match=reason):
        check(token(**overrides))


def test_it_allows_a_minute_of_clock_difference():
    assert accepted(token(exp=NOW - 30, iat=NOW + 30))
