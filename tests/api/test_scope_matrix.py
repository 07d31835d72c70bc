"""Each scope allows exactly its endpoints: every endpoint asked with a token of each single scope."""

from pathlib import Path

import pytest

from accountability.api.models import ApiToken
from accountability.api.tokens import token_create, token_revoke
from accountability.audit.models import AuditEvent
from accountability.catalog.models import PathOwner
from accountability.changes.ledger import signoff_append
from tests.factories import ChangeFactory, DeliveryFactory, IncidentFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SHA = "ab" * 20
EVIDENCE = {"evidence": [{"kind": "ci_tests", "result": "passed", "url": "https://ci.example/1"}]}
REHEARSAL = {"result": "passed", "by": "alice"}
NOTE = (
    Path(__file__).parent.parent
    / "fixtures/ai-attribution/git-ai/000841e6.legacy-prompts.messages_url.note.txt"
)
PROVENANCE = {"repository": "acme/payments", "git_ai_notes": [{"commit_sha": SHA, "note": NOTE.read_text()}]}

# (method, path, body, the one scope that allows it; None: any valid token)
ENDPOINTS = [
    ("get", "/api/v1/changes", None, "read"),
    ("get", "/api/v1/changes/{change}", None, "read"),
    ("get", f"/api/v1/services/payments/changes/{SHA}", None, "read"),
    ("get", "/api/v1/services", None, "read"),
    ("get", "/api/v1/services/payments", None, "read"),
    ("get", "/api/v1/owners?repository=acme/payments&path=a.py", None, "read"),
    ("get", "/api/v1/incidents", None, "read"),
    ("get", "/api/v1/incidents/{incident}", None, "read"),
    ("get", "/api/v1/gaps", None, "read"),
    ("get", "/api/v1/metrics", None, "read"),
    ("get", "/api/v1/ledger/checkpoint", None, "read"),
    ("post", "/api/v1/changes", {"service": "payments", "sha": "cd" * 20}, "changes:write"),
    ("post", f"/api/v1/changes/payments/{SHA}/evidence", EVIDENCE, "evidence:write"),
    ("post", f"/api/v1/changes/payments/{SHA}/rollback-rehearsals", REHEARSAL, "evidence:write"),
    ("post", "/api/v1/gate", {"service": "payments", "sha": SHA}, "gate"),
    ("post", "/api/v1/provenance", PROVENANCE, "changes:write"),
    ("get", "/api/v1/deliveries/{delivery}", None, None),
]
WRITE_SCOPES = {"changes:write", "evidence:write", "gate"}
MATRIX = [
    pytest.param(method, path, body, allowed_by, scope, id=f"{method} {path.split('?')[0]} with {scope}")
    for method, path, body, allowed_by in ENDPOINTS
    for scope in ApiToken.Scope.values
]


@pytest.fixture
def world():
    service = ServiceFactory(slug="payments", repositories=["acme/payments"])
    change = ChangeFactory(service=service, sha=SHA)
    signoff_append(change=change, signer=PersonFactory(), decision="reject")  # the ledger has a checkpoint
    PathOwner.objects.create(repository="acme/payments", pattern="*", owners=["@acme/payments"], line=1)
    delivery = DeliveryFactory(source__name="ci-api", source__kind="api")
    return {"change": change.id, "incident": IncidentFactory().id, "delivery": delivery.id}


def call(client, method, path, body, raw):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if body is not None:
        return getattr(client, method)(path, body, content_type="application/json", **kwargs)
    return getattr(client, method)(path, **kwargs)


@pytest.mark.parametrize(("method", "path", "body", "allowed_by", "scope"), MATRIX)
def test_it_allows_an_endpoint_only_to_its_scope(client, world, method, path, body, allowed_by, scope):
    _, raw = token_create(name=f"only-{scope}", scopes=[scope])

    response = call(client, method, path.format(**world), body, raw)

    if allowed_by is None or scope == allowed_by:
        assert 200 <= response.status_code < 300, response.content
        if scope in WRITE_SCOPES and scope == allowed_by:
            assert AuditEvent.objects.filter(actor_label=f"api:only-{scope}").exists()
    else:
        assert response.status_code == 403
        assert response.json() == {"message": f"this token lacks the '{allowed_by}' scope", "errors": []}
        assert not AuditEvent.objects.filter(actor_label=f"api:only-{scope}").exists()


@pytest.mark.parametrize(("method", "path", "body", "allowed_by"), [e[:4] for e in ENDPOINTS])
def test_it_refuses_a_revoked_token_at_once(client, world, method, path, body, allowed_by):
    token, raw = token_create(name="all", scopes=ApiToken.Scope.values)
    assert 200 <= call(client, method, path.format(**world), body, raw).status_code < 300

    token_revoke(token=token)
    response = call(client, method, path.format(**world), body, raw)

    assert response.status_code == 401
    assert response.json()["message"] == "a valid API token is required: Authorization: Bearer <token>"
