"""HTTP for pull jobs: timeouts, polite retries, rate limits.

A pull job asks a source's REST API page by page. Here: a 429 or 503 with `Retry-After` waits that long and
tries again; a GitHub rate limit (`X-RateLimit-Remaining: 0`) waits until `X-RateLimit-Reset`; other 5xx and
connection errors retry with exponential backoff. A wait longer than PULL_MAX_WAIT_SECONDS is not slept
through: `PullPaused` ends the run, the cursor keeps the position, and the next scheduled run resumes there.

Every request, redirects included, goes only to a host that resolves to public addresses, unless the host is
in PULL_ALLOWED_HOSTS, and connects to the very addresses it checked: a source's URL (set by an admin, or a
`next` link the source sent) must not reach the cloud metadata service, localhost or the internal network,
nor carry the source's token there. An error never quotes the answer's body, which could hold whatever that
internal host said.
"""

import email.utils
import ipaddress
import socket
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError


class PullError(Exception):
    """The source answered something we cannot use (4xx, malformed body), or kept failing."""


class PullPaused(PullError):
    """The source asked us to wait longer than a run may; the next run resumes from the cursor."""


RETRYABLE = {429, 500, 502, 503, 504}


class PullRefused(PullError):
    """The URL's host is internal (or not http(s)) and not allowed explicitly."""


def pull_url_check(url: str) -> list[str] | None:
    """PullRefused unless `url` is http(s) to an allowed host or one whose every address is public.

    Returns the addresses it checked, which the connection must use (None for an allowed host): resolving
    again to connect would let a DNS answer change in between (rebinding) and reach an internal address.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise PullRefused(f"refused {url!r}: only http(s) URLs with a host are pulled")
    if host in settings.PULL_ALLOWED_HOSTS:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise PullError(f"{host} cannot be resolved: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise PullRefused(
                f"refused {host}: it resolves to {ip}, an internal address (an admin may allow the host "
                "in PULL_ALLOWED_HOSTS)"
            )
    return addresses


# The addresses pull_url_check approved for the request being sent (set around it by _CheckedAdapter).
_CHECKED_ADDRESSES: ContextVar[list[str] | None] = ContextVar("pull_checked_addresses", default=None)


class _PinnedConnectionMixin:
    """Connects to the addresses checked for this request, never to a fresh DNS answer. The host name
    still goes into TLS (SNI, certificate check) and the Host header: only the socket's target is pinned."""

    def _new_conn(self):
        addresses = _CHECKED_ADDRESSES.get()
        if addresses is None:
            return super()._new_conn()
        name = self._dns_host
        try:
            for address in addresses[:-1]:
                self._dns_host = address
                try:
                    return super()._new_conn()
                except (NewConnectionError, ConnectTimeoutError):
                    continue
            self._dns_host = addresses[-1]
            return super()._new_conn()
        finally:
            self._dns_host = name


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}

    def send(self, request, *args, **kwargs):
        checked = _CHECKED_ADDRESSES.set(pull_url_check(request.url))
        try:
            return super().send(request, *args, **kwargs)
        finally:
            _CHECKED_ADDRESSES.reset(checked)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds until a GitHub-style rate limit resets, when the response says none is left."""
    if response.headers.get("X-RateLimit-Remaining") != "0":
        return None
    reset = response.headers.get("X-RateLimit-Reset", "")
    if not reset.isdigit():
        return None
    return max(0.0, int(reset) - time.time()) + 1


class PullSession:
    """A requests session with the source's auth headers and the retry rules above."""

    def __init__(self, *, headers: dict[str, str], attempts: int = 4):
        self.session = requests.Session()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, _CheckedAdapter())
        self.session.headers.update({"User-Agent": "accountability-pull/1", **headers})
        self.attempts = attempts
        self.max_wait = settings.PULL_MAX_WAIT_SECONDS
        self.timeout = (5, settings.PULL_READ_TIMEOUT_SECONDS)

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait:
            raise PullPaused(f"{why}: asked to wait {seconds:.0f}s; resuming on a later run")
        time.sleep(seconds)

    def get(
        self, url: str, *, params: dict | None = None, allow_404: bool = False
    ) -> requests.Response | None:
        """GET `url`; None for a 404 when `allow_404`, PullError for any other failure."""
        for attempt in range(self.attempts):
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except PullRefused:
                raise
            except requests.RequestException as error:
                if attempt == self.attempts - 1:
                    raise PullError(f"GET {url} failed: {error}") from None
                self._wait(2**attempt, "connection failed")
                continue
            limited = _rate_limit_wait(response)
            if response.status_code in (403, 429) and limited is not None:
                self._wait(limited, f"rate limit of {url} exhausted")
                continue
            if response.status_code in RETRYABLE:
                if attempt == self.attempts - 1:
                    raise PullError(f"GET {url} answered {response.status_code} {attempt + 1} times")
                retry_after = _retry_after(response)
                self._wait(
                    2**attempt if retry_after is None else retry_after,
                    f"GET {url} answered {response.status_code}",
                )
                continue
            if response.status_code == 404 and allow_404:
                return None
            if response.status_code >= 400:
                raise PullError(f"GET {url} answered {response.status_code}")
            return response
        raise PullError(f"GET {url} kept failing")

    def json(self, url: str, *, params: dict | None = None):
        response = self.get(url, params=params)
        try:
            return response.json()
        except ValueError:
            raise PullError(f"GET {url} did not answer JSON") from None
