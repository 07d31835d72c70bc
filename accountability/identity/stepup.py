"""Step-up at signing: the session's last authentication, and the sign-off form kept across a re-sign-in.

The session holds `identity_auth`: how and when its user last proved who they are (method, at, provider,
amr, acr). A password login and a provider login set it; a silent re-check by the provider (prompt=none)
does not, since nobody authenticated. The sign-off form a stale session posted waits in the session under
`identity_pending_signoff` until the same user comes back to that change.
"""

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from django.conf import settings

from accountability.identity.claims import auth_has_method, auth_is_recent, claim_values

AUTH_KEY = "identity_auth"
PENDING_KEY = "identity_pending_signoff"


def auth_record(session, *, method: str, at: float, provider: str, amr=(), acr: str = "") -> None:
    session[AUTH_KEY] = {
        "method": method,
        "at": float(at),
        "provider": provider,
        "amr": sorted({str(value) for value in amr}),
        "acr": str(acr or ""),
    }


def auth_record_from_claims(session, *, claims: Mapping, issuer: str) -> None:
    """A provider login: `auth_time` is when the person authenticated at the provider (a session the provider
    already had may be older than this login); without it, the time of this login."""
    at = claims.get("auth_time")
    at = at if isinstance(at, int | float) and not isinstance(at, bool) else time.time()
    auth_record(
        session,
        method="oidc",
        at=at,
        provider=issuer,
        amr=claim_values(claims, "amr"),
        acr=str(claims.get("acr") or ""),
    )


def auth_current(session) -> dict | None:
    auth = session.get(AUTH_KEY)
    return auth if isinstance(auth, dict) else None


def auth_signing_problem(session) -> str:
    """Why this session cannot sign now ("" if it can): its sign-in is too old, or by no required method."""
    auth = auth_current(session)
    if not auth_is_recent(auth=auth, now=time.time(), max_age=settings.SIGNOFF_MAX_AUTH_AGE_SECONDS):
        minutes = max(1, settings.SIGNOFF_MAX_AUTH_AGE_SECONDS // 60)
        return f"Signing off needs a sign-in within the last {minutes} minutes: sign in again."
    if not auth_has_method(auth=auth, required=settings.SIGNOFF_REQUIRED_AMR):
        methods = ", ".join(settings.SIGNOFF_REQUIRED_AMR)
        return f"Signing off needs a sign-in with one of: {methods} (a passkey, say): sign in again with it."
    return ""


def auth_for_ledger(session) -> dict:
    """The authentication as the ledger records it (the keyword arguments of signoff_append)."""
    auth = auth_current(session) or {}
    at = auth.get("at")
    return {
        "auth_method": str(auth.get("method", "")),
        "auth_at": datetime.fromtimestamp(at, tz=UTC) if isinstance(at, int | float) else None,
        "auth_provider": str(auth.get("provider", "")),
        "auth_amr": " ".join(auth.get("amr", [])),
        "auth_acr": str(auth.get("acr", "")),
    }


def pending_signoff_keep(session, *, change_id: int, data: Mapping) -> None:
    """Keep a posted sign-off form (its fields as lists of strings, as a QueryDict holds them)."""
    fields = {key: data.getlist(key) for key in data if key != "csrfmiddlewaretoken"}
    session[PENDING_KEY] = {"change": change_id, "fields": fields}


def pending_signoff_take(session, *, change_id: int) -> dict | None:
    """The kept form for this change, once; a form kept for another change stays where it is."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("change") != change_id:
        return None
    del session[PENDING_KEY]
    fields = pending.get("fields") or {}
    return {key: values if len(values) > 1 else values[0] for key, values in fields.items() if values}
