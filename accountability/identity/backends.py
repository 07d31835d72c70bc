"""The two ways in: a password (LocalBackend) and the organisation's OpenID Connect provider (OidcBackend)."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accountability.identity.discovery import oidc_setting
from accountability.identity.services import LoginRefused, person_departed, provider_user, user_roles_sync


def local_login_allowed(username: str) -> bool:
    """With LOCAL_LOGIN off, only the documented break-glass admin may use a password."""
    if settings.LOCAL_LOGIN:
        return True
    return bool(settings.BREAK_GLASS_USERNAME) and username == settings.BREAK_GLASS_USERNAME


class LocalBackend(ModelBackend):
    """Django's password check, refused when local logins are off and to people who left."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or not local_login_allowed(str(username)):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        # Checked here rather than in user_can_authenticate, which also runs on every request's session
        # lookup: that would cost a query per page. A departure ends the sessions themselves (receivers.py).
        person = getattr(user, "person", None) if user is not None else None
        if person is not None and person_departed(person):
            return None
        return user


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow (PKCE, state, nonce, signature against the provider's JWKS), plus:

    - endpoints from the discovery document of OIDC_ISSUER (read when first needed, not at startup);
    - the ID token's issuer, audience, authorised party, expiry and issue time checked (the library checks
      only the signature and the nonce);
    - the user found by (issuer, subject) or linked to their catalog Person, and their roles set from the
      groups claim, at every sign-in and every silent re-check.
    """

    def __init__(self, *args, **kwargs):
        # The library reads every endpoint here; this backend is built for password logins too, which must
        # not wait on (or fail with) the provider. The endpoints are properties below.
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password login must not reach the provider, even one
        # whose URL carries ?code=…&state=….
        if not settings.OIDC_ISSUER or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        id_token_claims_check(payload, issuer=settings.OIDC_ISSUER, client_id=self.OIDC_RP_CLIENT_ID)
        self.request.identity_id_token = payload
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            # OIDC Core §5.3.2: a userinfo answer about someone else must not be used.
            raise SuspiciousOperation("The userinfo subject differs from the ID token's.")
        # The ID token's claims (auth_time, amr, acr, and groups where the provider puts them there) win.
        return {**userinfo, **payload}

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        try:
            user = provider_user(issuer=settings.OIDC_ISSUER, claims=claims)
        except LoginRefused as refusal:
            self.request.identity_refusal = str(refusal)
            raise SuspiciousOperation(str(refusal)) from None
        return self.UserModel.objects.filter(pk=user.pk)

    def update_user(self, user, claims):
        user_roles_sync(user=user, claims=claims)
        self.request.identity_claims = claims
        return user


def id_token_claims_check(payload: dict, *, issuer: str, client_id: str, now: float | None = None) -> None:
    """OIDC Core §3.1.3.7: the ID token is from our issuer, for us and current; else SuspiciousOperation."""
    now = time.time() if now is None else now
    leeway = settings.OIDC_LEEWAY_SECONDS
    if str(payload.get("iss", "")).rstrip("/") != issuer:
        raise SuspiciousOperation(f"ID token issuer {payload.get('iss')!r} is not {issuer!r}.")
    audience = payload.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if client_id not in audiences:
        raise SuspiciousOperation("ID token is not meant for this application (audience).")
    if len(audiences) > 1 and payload.get("azp") != client_id:
        raise SuspiciousOperation("ID token has several audiences and another authorised party.")
    expires = payload.get("exp")
    if not isinstance(expires, int | float) or expires + leeway < now:
        raise SuspiciousOperation("ID token has expired.")
    issued = payload.get("iat")
    if not isinstance(issued, int | float) or issued - leeway > now:
        raise SuspiciousOperation("ID token was issued in the future.")
