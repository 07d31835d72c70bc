"""Sign-in pages: the login page (password and provider), and the OpenID Connect code flow's two ends."""

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accountability.audit.http import client_ip
from accountability.audit.services import audit_record
from accountability.identity.discovery import DiscoveryFailed, oidc_setting
from accountability.identity.services import access_end
from accountability.identity.stepup import auth_current, auth_record_from_claims

INTERACTIVE_KEY = "identity_interactive"
# Errors a provider answers a silent re-check (prompt=none) with when its own session ended: the person
# signs in again, nothing is held against them.
SESSION_ENDED = {"login_required", "interaction_required", "consent_required", "account_selection_required"}


@never_cache
@login_not_required
def login_page(request):
    """The login page: the provider's button when OIDC is on, the password form when local logins are on
    (or, with them off, for the break-glass admin at ?break_glass=1). `?reauth=1` asks a signed-in user to
    prove it again before signing off, so it does not send them straight back."""
    reauth = bool(request.GET.get("reauth"))
    password_form = settings.LOCAL_LOGIN or bool(request.GET.get("break_glass")) or request.method == "POST"
    if reauth and (auth_current(request.session) or {}).get("method") == "oidc":
        # Signed in through the provider: that is where to prove it again (the account has no password).
        password_form = False
    context = {
        "oidc_enabled": bool(settings.OIDC_ISSUER),
        "provider_name": settings.OIDC_PROVIDER_NAME,
        "password_form": password_form,
        "reauth": reauth,
    }
    view = auth_views.LoginView.as_view(redirect_authenticated_user=not reauth, extra_context=context)
    return view(request)


def _refused(request, message: str, *, status: int):
    return render(request, "identity/refused.html", {"message": message}, status=status)


@method_decorator([never_cache, login_not_required], name="dispatch")
class ProviderLogin(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (authorization code flow with PKCE, state and nonce). `?reauth=1`
    (step-up before a sign-off) asks it to authenticate the person again: prompt=login, and max_age."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_AUTH_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)

    def __init__(self, **kwargs):
        # The library reads the endpoints here, at every request's view construction; they are properties.
        View.__init__(self, **kwargs)

    def get(self, request):
        if not settings.OIDC_ISSUER:
            raise Http404("Sign-in with an identity provider is not configured.")
        try:
            response = super().get(request)
        except DiscoveryFailed:
            return _refused(
                request, "The identity provider cannot be reached; try again shortly.", status=502
            )
        request.session[INTERACTIVE_KEY] = True
        return response

    def get_extra_params(self, request):
        params = dict(super().get_extra_params(request))
        if request.GET.get("reauth"):
            params.update(prompt="login", max_age=str(settings.SIGNOFF_MAX_AUTH_AGE_SECONDS))
            if settings.SIGNOFF_ACR_VALUES:
                params["acr_values"] = settings.SIGNOFF_ACR_VALUES
        return params


@method_decorator([never_cache, login_not_required], name="dispatch")
class ProviderCallback(OIDCAuthenticationCallbackView):
    """The provider's answer. A sign-in it refuses, a token that fails a check, or a person who is not (or no
    longer) in the catalog gets a page saying so; a signed-in session the provider or the catalog refuses on
    a re-check is ended, with the person's other sessions and API tokens."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self):
        return settings.LOGIN_URL

    def get(self, request):
        if not settings.OIDC_ISSUER:
            raise Http404("Sign-in with an identity provider is not configured.")
        self.previous_user = request.user if request.user.is_authenticated else None
        self.interactive = bool(request.session.pop(INTERACTIVE_KEY, False))
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            return self._failed(f"The sign-in was refused: {error}", status=400)
        except (requests.RequestException, DiscoveryFailed, ValueError):
            return self._failed("The identity provider could not be asked about this sign-in.", status=502)

    def login_success(self):
        response = super().login_success()
        claims = getattr(self.request, "identity_claims", {})
        # A silent re-check proves nothing new unless the provider says when the person authenticated.
        if self.interactive or "auth_time" in claims:
            auth_record_from_claims(self.request.session, claims=claims, issuer=settings.OIDC_ISSUER)
        return response

    def login_failure(self):
        request, previous = self.request, self.previous_user
        error = request.GET.get("error", "")
        refusal = getattr(request, "identity_refusal", "")
        if previous is not None and (error == "access_denied" or refusal):
            access_end(user=previous, reason=refusal or "refused by the identity provider")
        if request.user.is_authenticated:
            auth.logout(request)
        if refusal:
            audit_record(
                actor=None, action="auth.refused", detail={"reason": refusal}, ip_address=client_ip(request)
            )
            return _refused(request, refusal, status=403)
        if error in SESSION_ENDED:
            messages.info(request, "Your session at the identity provider has ended: sign in again.")
            return redirect(settings.LOGIN_URL)
        if error:
            return _refused(request, f"The identity provider refused the sign-in ({error[:60]}).", status=403)
        return _refused(
            request, "The sign-in could not be completed; start again from the login page.", status=400
        )

    def _failed(self, message: str, *, status: int):
        if self.request.user.is_authenticated:
            auth.logout(self.request)
        audit_record(
            actor=None, action="auth.refused", detail={"reason": message}, ip_address=client_ip(self.request)
        )
        return _refused(self.request, message, status=status)
