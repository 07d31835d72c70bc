"""Every error of /api/v1/ answers JSON {"message": ..., "errors": [{"field": ..., "message": ...}]}."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or []


def reject_unknown_query(request: HttpRequest, known: type[Schema] | None = None) -> None:
    """A misspelt filter is an error the caller should see, not a filter silently dropped (a 422)."""
    fields = set(known.model_fields) if known is not None else set()
    unknown = sorted(set(request.GET) - fields)
    if unknown:
        raise ApiError(
            422,
            "the request is not valid",
            [{"field": f"query.{name}", "message": "not a parameter of this endpoint"} for name in unknown],
        )


def _field(loc: list | tuple) -> str:
    # Ninja prefixes the location with the parameter's name ("body", "payload", "evidence", 0, "kind");
    # clients know the body, not our parameter name.
    parts = [str(part) for part in loc]
    if len(parts) >= 2 and parts[0] == "body" and parts[1] == "payload":
        parts = ["body", *parts[2:]]
    return ".".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, message: str, errors: list[dict] | None = None):
        return api.create_response(request, {"message": message, "errors": errors or []}, status=status)

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.message, exc.errors)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        errors = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors]
        return respond(request, 422, "the request is not valid", errors)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return respond(request, 401, "a valid API token is required: Authorization: Bearer <token>")

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return respond(request, exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "not found")
