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


def require_scope(request: HttpRequest, scope: str) -> ApiToken:
    """The request's token, if it carries `scope`; otherwise a 403 naming the missing scope."""
    token: ApiToken = request.auth
    if scope not in token.scopes:
        raise ApiError(403, f"this token lacks the '{scope}' scope")
    return token
