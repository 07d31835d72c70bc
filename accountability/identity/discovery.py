"""The provider's endpoints, read once from its discovery document (OIDC Discovery 1.0).

mozilla-django-oidc expects each endpoint as a setting; an installation configures only OIDC_ISSUER, and the
document at `<issuer>/.well-known/openid-configuration` names the rest. It is fetched on first use, not at
startup, so that a provider that is briefly down does not stop the dashboard from starting (password logins
and API tokens keep working), and kept for the life of the process.
"""

import threading

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from mozilla_django_oidc.utils import import_from_settings

# mozilla-django-oidc's setting name → the discovery document's key.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

_documents: dict[str, dict] = {}
_lock = threading.Lock()


class DiscoveryFailed(RuntimeError):
    """The provider's discovery document could not be read or does not describe OIDC_ISSUER."""


def discovery_document(*, issuer: str) -> dict:
    """The issuer's discovery document, fetched once per process; raises DiscoveryFailed."""
    with _lock:
        if issuer in _documents:
            return _documents[issuer]
        url = f"{issuer}/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise DiscoveryFailed(f"cannot read {url}: {error}") from None
        # The document must speak for the issuer configured (OIDC Discovery §4.3), or tokens would be
        # checked against another provider's keys.
        if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
            raise DiscoveryFailed(f"{url} describes issuer {document.get('issuer')!r}, not {issuer!r}")
        missing = [key for key in ENDPOINTS.values() if not document.get(key)]
        if missing:
            raise DiscoveryFailed(f"{url} names no {', '.join(missing)}")
        _documents[issuer] = document
        return document


def discovery_forget() -> None:
    """Drop the fetched documents (a test starting its own provider)."""
    with _lock:
        _documents.clear()


def oidc_setting(attr: str, *default):
    """A mozilla-django-oidc setting, endpoints filled from the discovery document of OIDC_ISSUER."""
    if attr in ENDPOINTS:
        if not settings.OIDC_ISSUER:
            raise ImproperlyConfigured("OIDC_ISSUER is not set: sign-in with a provider is off")
        return discovery_document(issuer=settings.OIDC_ISSUER)[ENDPOINTS[attr]]
    return import_from_settings(attr, *default)
