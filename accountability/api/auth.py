"""Bearer-token authentication and scope checks for /api/v1/, in one place."""

from django.db.models import Q
from django.http import HttpRequest
from ninja.security import HttpBearer

from accountability.api.errors import ApiError
from accountability.api.models import ApiToken
from accountability.api.tokens import token_authenticate
from accountability.catalog.models import Service


class TokenAuth(HttpBearer):
    openapi_description = (
        "An API token from `manage.py create_token` or the admin: `Authorization: Bearer acc_…`"
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(raw=token.strip())


class ScopedTokenAuth(TokenAuth):
    """A token that carries `scope`. Checked as authentication, before the request's body or query is
    validated, so a token without the scope gets 403 whatever it sent."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = super().authenticate(request, token)
        if found is not None and self.scope not in found.scopes:
            raise ApiError(403, f"this token lacks the '{self.scope}' scope")
        return found


def token_writes_for(token: ApiToken, *, service: str = "", repository: str = "") -> None:
    """Refuse (403) a write outside the token's limits: the one place that decides it for changes, evidence,
    rollback rehearsals, provenance and the gate.

    A token with no team and no service may write for the whole organisation. A limited one writes for the
    services it names and those its teams own; an unknown service is outside every limit (so the answer
    says nothing about what exists). Provenance names a repository: every service that lists it must be
    within the limits, since its documents attach to whichever change holds the commits.
    """
    teams = sorted(token.limit_teams.values_list("slug", flat=True))
    services = sorted(token.limit_services.values_list("slug", flat=True))
    if not teams and not services:
        return
    within = Q(slug__in=services) | Q(owner_team__slug__in=teams)
    if service:
        if Service.objects.filter(within, slug=service).exists():
            return
        target = f"service {service!r}"
    else:
        listing = Service.objects.filter(repositories__contains=[repository])
        if listing.exists() and not listing.exclude(within).exists():
            return
        target = f"repository {repository!r}"
    limits = "; ".join(
        part
        for part in (
            f"teams {', '.join(teams)}" if teams else "",
            f"services {', '.join(services)}" if services else "",
        )
        if part
    )
    raise ApiError(403, f"this token writes only for {limits}: {target} is outside its limits")
