"""Links from outside: only http(s) URLs are stored, from every source (issue 14).

Payloads are written by whoever controls the sender: a `javascript:` or `data:` URL in a GitHub `html_url`,
a PagerDuty link or a Backstage runbook would be rendered as a link on our pages (only the CSP stops it
running). Every adapter and importer stores links through `link_or_blank`, so a page may trust any stored
URL to be a web address.
"""

from urllib.parse import urlsplit


def link_or_blank(value: object, *, limit: int = 500) -> str:
    """`value` when it is an absolute http(s) URL with a host and fits `limit`, else ""."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if not value or len(value) > limit or any(ord(char) < 0x21 for char in value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return value
