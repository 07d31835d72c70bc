import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from werkzeug import Response

from accountability.api.tokens import token_create
from tests.api.github_peer import (
    APP_ID,
    CALLBACK_PATH,
    INSTALLATION,
    STATUSES_PREFIX,
    TOKEN_PATH,
    status_created,
)
from tests.ingest.conftest import eager_tasks  # noqa: F401 (a fixture, shared)


@pytest.fixture
def make_token(db):
    def make(*scopes: str, name: str | None = None) -> str:
        _, raw = token_create(name=name or f"ci-{'-'.join(scopes) or 'none'}", scopes=list(scopes))
        return raw

    return make


@pytest.fixture
def ci_client(client, make_token):
    """A test client whose requests carry a token with every write scope."""
    raw = make_token("read", "changes:write", "evidence:write")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture(scope="module")
def app_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(httpserver, settings, app_key):
    """Mints installation tokens, takes protection-rule answers (204) and commit statuses (201)."""
    settings.GITHUB_API_URL = httpserver.url_for("").rstrip("/")
    settings.GITHUB_APP_ID = APP_ID
    settings.GITHUB_APP_PRIVATE_KEY = app_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cache.delete(f"github-app:installation-token:{INSTALLATION}")
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"token": "ghs_installation_token", "expires_at": expires}, status=201
    )
    httpserver.expect_request(CALLBACK_PATH, method="POST").respond_with_response(Response(status=204))
    ids = count(1)
    httpserver.expect_request(
        re.compile(rf"^{STATUSES_PREFIX}[0-9a-f]+$"), method="POST"
    ).respond_with_handler(lambda request: status_created(request, next(ids)))
    yield httpserver
    cache.delete(f"github-app:installation-token:{INSTALLATION}")
