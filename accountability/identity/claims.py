"""Pure rules over a provider's claims: which roles they give, and when a sign-in counts as recent."""

from collections.abc import Iterable, Mapping

ROLE_NAMES = ("viewer", "owner", "commander", "admin")


def claim_values(claims: Mapping, name: str) -> set[str]:
    """A claim holding a list of names, as providers send it: a JSON list, or one space/comma separated
    string (some providers send a single group that way)."""
    value = claims.get(name)
    if value is None:
        return set()
    if isinstance(value, str):
        return {part for part in value.replace(",", " ").split() if part}
    if isinstance(value, Iterable):
        return {str(item) for item in value if item not in (None, "")}
    return set()


def roles_from_claims(claims: Mapping, *, claim: str, role_groups: Mapping[str, list[str]]) -> set[str]:
    """The roles the provider's groups give; every signed-in user reads like a viewer anyway.

    Group names are compared exactly: `/owners` (Keycloak's full path) and `owners` are different groups, as
    they are at the provider.
    """
    groups = claim_values(claims, claim)
    roles = {role for role in ROLE_NAMES if groups & set(role_groups.get(role, []))}
    return roles | {"viewer"}


def auth_is_recent(*, auth: Mapping | None, now: float, max_age: int) -> bool:
    """Whether a session's last authentication (its `at`, seconds since the epoch) is within max_age.

    A session with no recorded authentication (signed in before this was recorded) is not recent; a time in
    the future (clock skew beyond a minute, a tampered value) is not trusted either.
    """
    if not auth or not isinstance(auth.get("at"), int | float):
        return False
    age = now - auth["at"]
    return -60 <= age <= max_age


def auth_has_method(*, auth: Mapping | None, required: Iterable[str]) -> bool:
    """Whether the authentication used one of the required methods (its `amr`); nothing required, any does."""
    required = set(required)
    if not required:
        return True
    return bool(auth) and bool(required & set(auth.get("amr") or ()))
