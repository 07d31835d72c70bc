"""Around every request: its id (for the logs, echoed in X-Request-ID) and its latency (for /metrics)."""

import time

from django.core.signals import request_finished
from django.dispatch import receiver

from accountability.logs import request_id, request_id_from
from accountability.telemetry import request_duration


class RequestTelemetryMiddleware:
    """First in MIDDLEWARE, so the time measured is the whole of Django's work on the request.

    The latency is labelled by the URL pattern, not the path, so ids in paths cannot grow the series
    without bound; a request no pattern matched is `unmatched`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Not reset on the way out: Django logs a 4xx/5xx (django.request) after the middleware returns.
        # request_finished clears it once the answer is sent.
        request_id.set(request_id_from(request.headers.get("X-Request-ID")))
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id.get()
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match is not None else "unmatched"
        request_duration.labels(request.method, route, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


@receiver(request_finished)
def request_id_clear(**kwargs) -> None:
    request_id.set("")
