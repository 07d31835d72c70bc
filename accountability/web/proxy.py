"""The client's address behind our own reverse proxy (docker-compose's nginx).

Behind a proxy every request comes from the proxy's address, so the login throttle (web/login_throttle.py),
which counts per (username, address), would count everybody together. When the request comes from an
address in TRUSTED_PROXIES, REMOTE_ADDR becomes the address that proxy wrote in X-Forwarded-For (nginx
replaces the header rather than appending to it, so a client cannot choose it). From anywhere else the
header is ignored: a client talking to gunicorn directly cannot claim another address.
"""

import contextlib
import ipaddress

from django.conf import settings


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.TRUSTED_PROXIES)


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and settings.TRUSTED_PROXIES and _trusted(request.META.get("REMOTE_ADDR", "")):
            client = forwarded.split(",")[-1].strip()
            with contextlib.suppress(ValueError):  # not an address: the proxy's stays
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        return self.get_response(request)
