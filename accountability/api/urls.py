from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import URLPattern, URLResolver, re_path

from accountability.api.api import api


def _without_login(patterns: list) -> list:
    # The API authenticates machines by token (and its docs are public), so the site-wide
    # LoginRequiredMiddleware must let every API view through.
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _without_login(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
    return patterns


def _nul_field(request) -> str | None:
    """Where the request carries a NUL character: PostgreSQL text cannot hold one, so no field accepts it."""
    if "\x00" in request.path:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return f"query.{key.replace(chr(0), '')}"
    if request.method in ("POST", "PUT", "PATCH") and (
        b"\x00" in request.body or b"\\u0000" in request.body.lower()
    ):
        return "body"
    return None


def _json_errors(view):
    """Every answer of the API is JSON: a NUL character is a 422, a body over Django's limit a 413, and
    ninja's empty 405 gets a body."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            field = _nul_field(request)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            message = f"the request body is larger than {limit} bytes"
            return JsonResponse({"message": message, "errors": []}, status=413)
        if field is not None:
            error = {"field": field, "message": "a NUL character is not accepted"}
            return JsonResponse({"message": "the request is not valid", "errors": [error]}, status=422)
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            answer = JsonResponse({"message": f"method not allowed; use {allowed}", "errors": []}, status=405)
            answer["Allow"] = allowed
            return answer
        return response

    return wrapper


@login_not_required
def not_found(request, rest: str = ""):
    return JsonResponse({"message": f"no API endpoint /api/v1/{rest}", "errors": []}, status=404)


api_patterns, _, _ = api.urls
for pattern in api_patterns:
    pattern.callback = _json_errors(pattern.callback)
app_name = "api"
urlpatterns = [*_without_login(list(api_patterns)), re_path(r"^(?P<rest>[\s\S]*)$", not_found)]
