"""Login rate limiting: failed attempts are counted per (username, client address) in the cache.

After LOGIN_MAX_FAILURES failures within LOGIN_FAILURE_WINDOW_SECONDS, further attempts for that pair are
refused (429) until the window, which starts at the first failure, has passed. Counting per pair means a
guesser is stopped without letting anybody lock a colleague out from another address. A successful login
by that same username clears the count (see web/views.py). The username is counted as Django authenticates
it: NFKC-normalised (forms.UsernameField), then case-folded and stripped, so the full-width
`victim`, `Victim ` and `victim` share one count. The address is REMOTE_ADDR: behind a proxy that
rewrites it, set it from the proxy's header in the proxy, not from a header a client could forge.
"""

import hashlib
import unicodedata

from django.conf import settings
from django.core.cache import cache


def login_username_normalise(username: str) -> str:
    """The identity a typed username stands for: the login form NFKC-normalises before authenticating, and
    case folding makes the count stricter, never looser, than the lookup."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def _key(*, username: str, address: str) -> str:
    # Hashed so that neither the typed username nor the address is stored in clear in the cache.
    digest = hashlib.sha256(f"{login_username_normalise(username)}\n{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_is_throttled(*, username: str, address: str) -> bool:
    return cache.get(_key(username=username, address=address), 0) >= settings.LOGIN_MAX_FAILURES


def login_failure_record(*, username: str, address: str) -> int:
    """Counts one failed attempt; returns the failures so far in the current window."""
    key = _key(username=username, address=address)
    # add() only sets a missing key, so the window's expiry is fixed by the first failure.
    if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return 1


def login_failures_clear(*, username: str, address: str) -> None:
    cache.delete(_key(username=username, address=address))
