"""Links out of the dashboard, built from what the sources told us (issue 18: GitHub, PagerDuty, e-mail).

Stored links are http(s) only (catalog/links.py); links built here use a configured base and a value that
must look like what it claims to be (an `owner/name` repository, a hex sha, a PagerDuty id), so a value from
a payload can never turn into another kind of URL.
"""

import re
from urllib.parse import quote, urlsplit

from django.conf import settings

from accountability.catalog.links import link_or_blank

REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
SHA = re.compile(r"[0-9a-fA-F]{7,64}")
PAGERDUTY_ID = re.compile(r"[A-Z0-9]{1,32}")
EMAIL = re.compile(r"[^@\s<>\"']{1,64}@[^@\s<>\"'/]{1,255}")


def github_web_url() -> str:
    """GitHub's web address from `GITHUB_API_URL`: api.github.com → github.com; an Enterprise Server's
    `https://HOST/api/v3` → `https://HOST`."""
    api = settings.GITHUB_API_URL.rstrip("/")
    parts = urlsplit(api)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    if api.endswith("/api/v3"):
        return api[: -len("/api/v3")]
    return f"{parts.scheme}://{parts.netloc}"


def github_repository_url(repository: str) -> str:
    return f"{github_web_url()}/{repository}" if REPOSITORY.fullmatch(repository or "") else ""


def github_commit_url(*, repository: str, sha: str) -> str:
    base = github_repository_url(repository)
    return f"{base}/commit/{sha.lower()}" if base and SHA.fullmatch(sha or "") else ""


def github_pull_url(*, repository: str, number: int | None, stored: str = "") -> str:
    """The PR's page: the html_url GitHub sent if stored, else built from the repository and number."""
    if stored:
        return stored
    base = github_repository_url(repository)
    return f"{base}/pull/{int(number)}" if base and number else ""


def pagerduty_incident_url(*, source: str, external_id: str, stored: str, web_url: str) -> str:
    """The incident's page at its source: the html_url PagerDuty sent if stored, else the account's web
    address (a PagerDuty source's `web_url` option, `https://ACCOUNT.pagerduty.com`) and the incident id."""
    if stored:
        return stored
    web_url = link_or_blank(web_url)
    if source != "pagerduty" or not web_url or not PAGERDUTY_ID.fullmatch(external_id or ""):
        return ""
    return f"{web_url.rstrip('/')}/incidents/{quote(external_id)}"


def mailto(address: str) -> str:
    return f"mailto:{address}" if EMAIL.fullmatch(address or "") else ""


def github_user_url(login: str) -> str:
    return f"{github_web_url()}/{login}" if re.fullmatch(r"[A-Za-z0-9_-]{1,100}", login or "") else ""


def github_blob_url(*, repository: str, sha: str, path: str) -> str:
    """A file as of the change's commit (line anchors are added by the caller: `#L10-L20`)."""
    commit = github_commit_url(repository=repository, sha=sha)
    parts = (path or "").strip("/").split("/")
    if not commit or not path or any(part in ("", ".", "..") for part in parts):
        return ""
    return f"{github_repository_url(repository)}/blob/{sha.lower()}/{quote('/'.join(parts), safe='/')}"
