"""Webhook receivers skip the browser's middleware.

A receiver authenticates its sender by signature and answers JSON: it has no session, no CSRF token, no
login, no flash messages, no HTML to frame or to give a content security policy. The middleware for those
was a sixth of the receiver's time at 500 deliveries a second (docs/PERFORMANCE.md), so requests under
/webhooks/ are dispatched to their view here, after the middleware every request needs (telemetry, the
trusted proxy, SecurityMiddleware's redirects and headers, CommonMiddleware's host check) and before the rest,
static files and sessions included (WhiteNoise's lookup and the session's cookie handling cost each delivery
~0.05-0.1 ms of CPU, measured in one process, docs/PERFORMANCE.md).
An exception in the view still reaches Django's handling (a 500 page, logged) through the outer middleware.
"""

from django.urls import resolve

PREFIX = "/webhooks/"


class WebhookShortcut:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
