"""A small GitHub App client: authenticate as an installation and answer deployment protection rules.

GitHub's flow: a JWT signed with the app's private key (RS256, issuer = app id, at most 10 minutes long)
buys an installation access token (valid one hour) from POST /app/installations/{id}/access_tokens; that
token authenticates the callback. Tokens are cached in the shared cache until shortly before they expire, so
all workers reuse one token per installation instead of minting one per answer.
"""

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.core.cache import cache

API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 10
# GitHub rejects a JWT issued in the future; backdating by a minute absorbs clock drift (GitHub's advice).
JWT_BACKDATE_SECONDS = 60
JWT_LIFETIME_SECONDS = 9 * 60
# A cached installation token is dropped this long before GitHub's expiry, so no request carries one that
# expires in flight.
TOKEN_MARGIN_SECONDS = 5 * 60


class GitHubAppError(Exception):
    """GitHub refused the request for good (4xx other than 429), or the app is not configured."""


class GitHubTransientError(Exception):
    """Worth retrying: a network error, a timeout, a 5xx or a 429 from GitHub."""


def app_jwt(*, app_id: str, private_key: str, now: float | None = None) -> str:
    now = int(now if now is not None else time.time())
    claims = {"iat": now - JWT_BACKDATE_SECONDS, "exp": now + JWT_LIFETIME_SECONDS, "iss": str(app_id)}
    return jwt.encode(claims, private_key, algorithm="RS256")


def _headers(credential: str) -> dict:
    return {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {credential}",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "accountability-deploy-gate",
    }


def github_post(url: str, *, credential: str, body: dict | None = None) -> requests.Response:
    try:
        response = requests.post(url, json=body, headers=_headers(credential), timeout=TIMEOUT_SECONDS)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise GitHubTransientError(f"POST {url}: {error}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise GitHubTransientError(f"POST {url}: GitHub answered {response.status_code}")
    return response


def _cache_key(installation_id: int) -> str:
    return f"github-app:installation-token:{installation_id}"


def installation_token_forget(*, installation_id: int) -> None:
    """Drop a cached token GitHub no longer accepts (a 401: revoked before its expiry)."""
    cache.delete(_cache_key(installation_id))


def installation_token(*, installation_id: int) -> str:
    """An access token of the installation, from the cache or freshly minted with the app's JWT."""
    cached = cache.get(_cache_key(installation_id))
    if cached:
        return cached
    if not settings.GITHUB_APP_ID or not settings.GITHUB_APP_PRIVATE_KEY:
        raise GitHubAppError("the GitHub App is not configured: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY")
    try:
        credential = app_jwt(app_id=settings.GITHUB_APP_ID, private_key=settings.GITHUB_APP_PRIVATE_KEY)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise GitHubAppError(f"GITHUB_APP_PRIVATE_KEY cannot sign a JWT: {error}") from None
    url = f"{settings.GITHUB_API_URL}/app/installations/{installation_id}/access_tokens"
    response = github_post(url, credential=credential)
    if response.status_code != 201:
        raise GitHubAppError(
            f"no installation token for {installation_id}: GitHub answered {response.status_code}"
        )
    try:
        data = response.json()
        token = data["token"]
        expires_at = datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise GitHubAppError("GitHub's installation token answer is not what its API documents") from None
    lifetime = (expires_at - datetime.now(UTC)).total_seconds() - TOKEN_MARGIN_SECONDS
    if lifetime > 0:
        cache.set(_cache_key(installation_id), token, timeout=int(lifetime))
    return token


def callback_url_allowed(url: str) -> bool:
    """Only GitHub's own API host may receive an installation token, whatever a payload names."""
    ours, theirs = urlsplit(settings.GITHUB_API_URL), urlsplit(url)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def deployment_protection_answer(
    *, installation_id: int, callback_url: str, environment_name: str, state: str, comment: str
) -> None:
    """POST the rule's answer to the deployment's callback URL, as the installation.

    A 401 means the cached token was revoked early: it is dropped and the answer sent once more with a
    fresh one. Raises GitHubTransientError (retry later) or GitHubAppError (GitHub will not take it).
    """
    if not callback_url_allowed(callback_url):
        raise GitHubAppError(f"the callback URL {callback_url} is not on {settings.GITHUB_API_URL}")
    body = {"environment_name": environment_name, "state": state, "comment": comment}
    response = github_post(
        callback_url, credential=installation_token(installation_id=installation_id), body=body
    )
    if response.status_code == 401:
        installation_token_forget(installation_id=installation_id)
        response = github_post(
            callback_url, credential=installation_token(installation_id=installation_id), body=body
        )
    if response.status_code >= 300:
        raise GitHubAppError(f"GitHub refused the answer: {response.status_code} {response.text[:300]}")
