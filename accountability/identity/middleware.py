"""Signed-in sessions are re-checked with the provider at a bounded interval (OIDC_RECHECK_SECONDS).

mozilla-django-oidc's SessionRefresh sends a GET whose check is due to the provider with prompt=none: the
provider answers at once, without a page, and the callback reads the roles again (a group removed there
removes the role here) or ends the session the provider or the catalog now refuses. Password sessions are
not re-checked (the library looks at the session's backend). With OIDC_ISSUER unset this does nothing.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import cached_property
from django_htmx.http import HttpResponseClientRefresh
from mozilla_django_oidc.middleware import SessionRefresh

from accountability.identity.discovery import DiscoveryFailed, oidc_setting


class SessionRecheck(SessionRefresh):
    get_settings = staticmethod(oidc_setting)
    OIDC_OP_AUTHORIZATION_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)

    def __init__(self, get_response):
        # The library reads the endpoints at startup; here they are read when a check is due.
        MiddlewareMixin.__init__(self, get_response)
        self.OIDC_EXEMPT_URLS = []
        self.OIDC_STATE_SIZE = 32
        self.OIDC_AUTHENTICATION_CALLBACK_URL = settings.OIDC_AUTHENTICATION_CALLBACK_URL
        self.OIDC_RP_SCOPES = settings.OIDC_RP_SCOPES
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32

    @cached_property
    def exempt_urls(self):
        # The sign-in pages themselves, and logout (which must work whatever the provider says).
        return {reverse(name) for name in ("identity:login", "identity:callback", "login", "logout")}

    def process_request(self, request):
        if not settings.OIDC_ISSUER:
            return None
        try:
            response = super().process_request(request)
        except DiscoveryFailed:
            # The provider is down: the session goes on until it can be asked (the sign-off's step-up still
            # needs a fresh authentication, which cannot happen meanwhile).
            return None
        if response is not None and request.headers.get("HX-Request"):
            # An htmx swap cannot follow a redirect to the provider's origin: the whole page reloads, and
            # that full GET goes through the check.
            return HttpResponseClientRefresh()
        return response
