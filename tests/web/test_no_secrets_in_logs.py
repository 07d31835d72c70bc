"""No secret or token ever reaches a log line, an answer, an error page or a stored delivery.

Sources are created with secrets and tokens, deliveries are sent with wrong signatures and wrong bearer
tokens, the API is called with a good token lacking a scope, a mistyped token and a revoked token, and an
admin opens the pages that edit them; every log record of the root logger (with tracebacks) and every
response is then searched for each secret value.
"""

import hashlib
import hmac
import logging
from pathlib import Path

import pytest

from accountability.api.tokens import token_create, token_revoke
from accountability.ingest.models import Delivery, Source
from accountability.ingest.receiving import source_create
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GITHUB_SECRET = "gh-webhook-secret-7Qd2LxV9"
PAGERDUTY_SECRET = "pd-webhook-secret-K3mW8rTz"
CDEVENTS_SECRET = "cd-bearer-secret-Y6nB1sPq"
PULL_TOKEN = "ghp_pulltoken0123456789abcdefABCDEF"
WRONG_BEARER = "acc_deadbeef_guessed-token-value-0000"


class Everything(logging.Handler):
    """Keeps every record as the console would print it, traceback included."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured(caplog):
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_it_never_logs_or_shows_a_secret(client, captured, caplog):
    source_create(kind="github", name="gh", secret=GITHUB_SECRET)
    source_create(kind="pagerduty", name="pd", secret=PAGERDUTY_SECRET)
    source_create(kind="cdevents", name="cd", secret=CDEVENTS_SECRET)
    source_create(kind="github", name="gh-pull", token=PULL_TOKEN, url="https://api.github.com")
    token, raw = token_create(name="ci", scopes=["read"])
    secrets = [GITHUB_SECRET, PAGERDUTY_SECRET, CDEVENTS_SECRET, PULL_TOKEN, WRONG_BEARER, raw]
    github_body = (FIXTURES / "github/deployment/00-created.json").read_bytes()
    cdevents_body = (FIXTURES / "cdevents/service_deployed.json").read_bytes()
    responses = [
        # Wrong signatures: a signature made with a wrong key, a signature of another body, a wrong bearer.
        client.post(
            "/webhooks/github/gh/",
            github_body,
            content_type="application/json",
            HTTP_X_GITHUB_EVENT="deployment",
            HTTP_X_GITHUB_DELIVERY="d-1",
            HTTP_X_HUB_SIGNATURE_256="sha256=" + sign(GITHUB_SECRET + "x", github_body),
        ),
        client.post(
            "/webhooks/pagerduty/pd/",
            b'{"event": {}}',
            content_type="application/json",
            HTTP_X_PAGERDUTY_SIGNATURE="v1=" + sign(PAGERDUTY_SECRET, b"another body"),
        ),
        client.post(
            "/webhooks/cdevents/cd/",
            cdevents_body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {WRONG_BEARER}",
        ),
        # The right bearer: accepted, and the Authorization header must not be stored with the delivery.
        client.post(
            "/webhooks/cdevents/cd/",
            cdevents_body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {CDEVENTS_SECRET}",
        ),
        # A signed body that is not JSON: stored as failed, with the reason.
        client.post(
            "/webhooks/github/gh/",
            b"not json",
            content_type="application/json",
            HTTP_X_GITHUB_EVENT="push",
            HTTP_X_GITHUB_DELIVERY="d-2",
            HTTP_X_HUB_SIGNATURE_256="sha256=" + sign(GITHUB_SECRET, b"not json"),
        ),
        # The API: a token without the scope, a mistyped one, a guessed one, then a revoked one.
        client.post(
            "/api/v1/gate",
            {"service": "x", "sha": "ab" * 20},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        ),
        client.get("/api/v1/services", HTTP_AUTHORIZATION=f"Bearer {raw}x"),
        client.get("/api/v1/services", HTTP_AUTHORIZATION=f"Bearer {WRONG_BEARER}"),
    ]
    token_revoke(token=token)
    responses.append(client.get("/api/v1/services", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    # An admin edits the sources and lists the tokens.
    client.force_login(user_with_role("admin", is_staff=True, is_superuser=True))
    for source_name in ("gh", "cd", "gh-pull"):
        source_id = Source.objects.get(name=source_name).id
        responses.append(client.get(f"/admin/ingest/source/{source_id}/change/"))
    responses.append(client.get("/admin/ingest/source/"))
    responses.append(client.get("/admin/api/apitoken/"))
    responses.append(client.get("/admin/ingest/delivery/"))

    assert [r.status_code for r in responses] == [401, 401, 401, 202, 400, 403, 401, 401, 401] + [200] * 6
    logged = "\n".join([*captured.lines, caplog.text])
    # The handler does see the refusals, so searching its lines proves something.
    assert "Unauthorized: /webhooks/github/gh/" in logged
    answered = "\n".join(r.content.decode(errors="replace") + str(dict(r.headers)) for r in responses)
    stored = "\n".join(
        str(d.headers) + bytes(d.body).decode(errors="replace") for d in Delivery.objects.all()
    )
    for secret in secrets:
        assert secret not in logged
        assert secret not in answered
        assert secret not in stored
