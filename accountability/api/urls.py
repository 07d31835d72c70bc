from functools import wraps

from django.contrib.auth.decorators import login_not_required
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


def _json_errors(view):
    # Ninja answers a wrong method with an empty 405; every 4xx of the API is JSON (api/errors.py).
    @wraps(view)
    def wrapper(request, *args, **kwargs):
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
urlpatterns = [*_without_login(list(api_patterns)), re_path(r"^(?P<rest>.*)$", not_found)]
