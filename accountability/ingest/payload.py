"""Reading untrusted JSON: every access names the field, so a PayloadError tells the sender what was wrong."""

import hashlib
import hmac
import json
import re
from typing import Any

from accountability.catalog.links import link_or_blank
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.storable import storable

_MISSING = object()


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8 text") from None
    except (ValueError, RecursionError) as error:
        raise PayloadError(f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PayloadError("the body is not a JSON object")
    # UTF-8 JSON can only carry a NUL or a lone surrogate as a \u escape (a raw control character is invalid,
    # a raw surrogate is not UTF-8): without one, walking every string of the document (a fifth of the
    # receiver's time on a GitHub push) finds nothing to change. A NUL byte means UTF-16 or -32 (json.loads
    # detects them), where the escape reads otherwise: those are walked.
    if b"\x00" in body or _UNSTORABLE_ESCAPE.search(body):
        return storable(data)
    return data


_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def get(data: Any, path: str, kind: type | tuple[type, ...] = str, *, default: Any = _MISSING) -> Any:
    """`data["a"]["b"]` for path "a.b", checked to be of `kind`; `default` when absent or null (if given)."""
    value = data
    for key in path.split("."):
        if not isinstance(value, dict):
            raise PayloadError(f"{path}: expected an object at {key!r}")
        value = value.get(key)
        if value is None:
            if default is _MISSING:
                raise PayloadError(f"{path} is missing")
            return default
    # bool is an int in Python; a number field holding true is still wrong.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise PayloadError(f"{path} must be {names}, not {type(value).__name__}")
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 2**63:
        raise PayloadError(f"{path} must be a non-negative 64-bit integer")
    return value


def count(data: Any, path: str, *, default: Any = _MISSING) -> int:
    """A number stored in an integer column (a PR number, a line count)."""
    value = get(data, path, int, default=default)
    if value >= 2**31:
        raise PayloadError(f"{path} is too large: {value}")
    return value


_SHA = re.compile(r"^[0-9a-f]{7,64}$")


def sha(data: Any, path: str) -> str:
    """A commit sha: 7 to 64 hexadecimal digits."""
    value = get(data, path).lower()
    if not _SHA.match(value):
        raise PayloadError(f"{path} is not a commit sha: {value[:80]!r}")
    return value


def text(data: Any, path: str, *, limit: int = 500) -> str:
    """An optional string field, "" when absent, cut to the column's length."""
    value = get(data, path, (str, int), default="")
    return str(value)[:limit]


def link(data: Any, path: str, *, limit: int = 500) -> str:
    """An optional link: kept only when it is an http(s) URL that fits the column (catalog/links.py)."""
    return link_or_blank(get(data, path, (str, int), default=""), limit=limit)


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def require_secret(source) -> str:
    if not source.secret:
        raise SignatureError(f"source {source.name} has no secret configured, so it accepts no deliveries")
    return source.secret


def body_digest(body: bytes) -> str:
    """A delivery id for senders that give none: the same body is the same delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
