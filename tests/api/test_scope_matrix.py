"""Each scope allows exactly its endpoints: every endpoint asked with a token of each single scope."""

from pathlib import Path

import pytest

from accountability.api.models import ApiToken
from accountability.api.tokens import token_create, token_revoke
from accountability.audit.models import AuditEvent
from accountability.catalog.models import PathOwner, Service
from accountability.changes.ledger import signoff_append
from tests.factories import (
    ChangeFactory,
    DeliveryFactory,
    IncidentFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
)

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


def limited_token(*, teams=(), services=()):
    token, raw = token_create(name="limited", scopes=ApiToken.Scope.values)
    token.limit_teams.set(teams)
    token.limit_services.set(services)
    return raw


@pytest.mark.parametrize(("method", "path", "body", "allowed_by"), [e[:4] for e in ENDPOINTS])
@pytest.mark.parametrize("limit", ["service", "team"])
def test_a_token_limited_to_the_service_or_its_team_may_do_everything(
    client, world, method, path, body, allowed_by, limit
):
    payments = Service.objects.get(slug="payments")
    payments.owner_team = TeamFactory(slug="payments-team")
    payments.save()
    if limit == "service":
        raw = limited_token(services=[payments])
    else:
        raw = limited_token(teams=[payments.owner_team])

    response = call(client, method, path.format(**world), body, raw)

    assert 200 <= response.status_code < 300, response.content


@pytest.mark.parametrize(("method", "path", "body", "allowed_by"), [e[:4] for e in ENDPOINTS])
def test_a_token_limited_elsewhere_writes_nothing_here_and_reads_as_before(
    client, world, method, path, body, allowed_by
):
    raw = limited_token(teams=[TeamFactory(slug="search")], services=[ServiceFactory(slug="orders")])
    audited = AuditEvent.objects.count()

    response = call(client, method, path.format(**world), body, raw)

    if allowed_by in WRITE_SCOPES:
        target = "repository 'acme/payments'" if path.endswith("/provenance") else "service 'payments'"
        assert response.status_code == 403
        assert response.json() == {
            "message": f"this token writes only for teams search; services orders: {target} is outside its "
            "limits",
            "errors": [],
        }
        assert AuditEvent.objects.count() == audited  # nothing was written, not even the gate's answer
    else:
        assert 200 <= response.status_code < 300, response.content


def test_a_limited_token_may_not_write_for_a_service_that_does_not_exist(client, world):
    raw = limited_token(services=[Service.objects.get(slug="payments")])

    response = call(client, "post", "/api/v1/gate", {"service": "ghost", "sha": SHA}, raw)

    assert response.status_code == 403
    assert "service 'ghost' is outside its limits" in response.json()["message"]


def test_a_limited_token_may_not_record_provenance_for_a_repository_it_shares_with_another_service(
    client, world
):
    ServiceFactory(slug="ledger-svc", repositories=["acme/payments"])
    raw = limited_token(services=[Service.objects.get(slug="payments")])

    response = call(client, "post", "/api/v1/provenance", PROVENANCE, raw)

    assert response.status_code == 403
    assert "repository 'acme/payments' is outside its limits" in response.json()["message"]
