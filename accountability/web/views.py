from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accountability.web.health import broker_status, database_status
from accountability.web.heartbeat import heartbeat_last
from accountability.web.login_throttle import (
    login_failure_record,
    login_failures_clear,
    login_is_throttled,
    login_username_normalise,
)
from accountability.web.metrics import metrics_allowed, metrics_text
from accountability.web.selectors import home_counts


@require_GET
def home(request):
    return render(request, "web/home.html", {"counts": home_counts(), "heartbeat": heartbeat_last()})


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def login_throttled(view):
    """Wraps a login view (ours and the admin's): a POST for a username that failed too often from the
    client's address gets a 429 page; the outcome of every other POST is counted or clears the count.

    Only that username's own successful login clears its count: the login view redirected (a failed form
    answers 200) and the user now signed in is the one named in the POST. Anybody else's POST, a signed-in
    colleague's included, counts as a failure for the name they typed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        who = {"username": request.POST.get("username", ""), "address": request.META.get("REMOTE_ADDR", "")}
        if login_is_throttled(**who):
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
            return render(request, "registration/login_throttled.html", {"minutes": minutes}, status=429)
        response = view(request, *args, **kwargs)
        if _logged_in_as(request, response, username=who["username"]):
            login_failures_clear(**who)
        else:
            login_failure_record(**who)
        return response

    return wrapper


def _logged_in_as(request, response, *, username: str) -> bool:
    user = getattr(request, "user", None)
    if response.status_code != 302 or user is None or not user.is_authenticated:
        return False
    return login_username_normalise(user.get_username()) == login_username_normalise(username)


@login_not_required
@never_cache
@require_GET
def metrics(request):
    """Prometheus' scrape, for a monitor holding METRICS_TOKEN or at an allowed address."""
    if not metrics_allowed(request):
        return HttpResponse("metrics need METRICS_TOKEN or an address in METRICS_ALLOWED_IPS\n", status=403)
    body, content_type = metrics_text()
    return HttpResponse(body, content_type=content_type)
