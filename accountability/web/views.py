from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accountability.web.health import broker_status, database_status
from accountability.web.heartbeat import heartbeat_last
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
