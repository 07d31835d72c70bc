"""API tokens: created once and shown once, stored as a sha256, looked up by their public prefix."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accountability.api.models import ApiToken
from accountability.audit.services import audit_record

TOKEN_PREFIX = "acc_"  # noqa: S105 - a public marker, not a secret
# last_used_at is informative; refreshing it at most once a minute keeps a busy pipeline from writing a row
# per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *, name: str, scopes: list[str], created_by: AbstractBaseUser | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token itself, which is never stored nor shown again."""
    unknown = sorted(set(scopes) - set(ApiToken.Scope.values))
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ApiToken.Scope.values)}")
    # The prefix is the lookup key: draw again in the (1 in 4 billion) case it is taken.
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name, prefix=prefix, token_hash=_hash(raw), scopes=sorted(set(scopes)), created_by=created_by
    )
    audit_record(
        actor=created_by,
        actor_label="" if created_by else "manage.py",
        action="api_token.create",
        obj=token,
        detail={"name": name, "scopes": token.scopes},
    )
    return token, raw


def token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token `raw` is, or None. Compares hashes in constant time."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(raw)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken, revoked_by: AbstractBaseUser | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=revoked_by, action="api_token.revoke", obj=token, detail={"name": token.name})
    return token
