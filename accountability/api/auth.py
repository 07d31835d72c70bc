"""Bearer-token authentication and scope checks for /api/v1/, in one place."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from accountability.api.errors import ApiError
from accountability.api.models import ApiToken
from accountability.api.tokens import token_authenticate


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
