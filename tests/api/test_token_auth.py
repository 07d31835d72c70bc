import pytest

from accountability.api.models import ApiToken
from accountability.api.tokens import token_revoke
from accountability.audit.models import AuditEvent
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

BODY = {"service": "payments", "sha": "a" * 40}


def post(client, token=None, body=BODY):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/changes", body, content_type="application/json", **headers)


def test_it_answers_401_without_a_token(client):
    response = post(client)

    assert response.status_code == 401
    assert response.json() == {
        "message": "a valid API token is required: Authorization: Bearer <token>",
        "errors": [],
    }


@pytest.mark.parametrize("token", ["acc_deadbeef_nope", "not-a-token", "acc_"])
def test_it_answers_401_for_a_wrong_token(client, make_token, token):
    make_token("changes:write")

    assert post(client, token).status_code == 401


def test_it_answers_401_for_a_revoked_token(client, make_token):
    raw = make_token("changes:write", name="old-ci")
    token_revoke(token=ApiToken.objects.get(name="old-ci"))

    assert post(client, raw).status_code == 401


def test_it_answers_403_without_the_scope(client, make_token):
    ServiceFactory(slug="payments")
    raw = make_token("read")

    response = post(client, raw)

    assert response.status_code == 403
    assert response.json()["message"] == "this token lacks the 'changes:write' scope"
    assert not AuditEvent.objects.filter(action="api.change.registered").exists()


def test_it_records_when_a_token_was_last_used(client, make_token):
    ServiceFactory(slug="payments")
    raw = make_token("changes:write", name="ci")

    post(client, raw)

    assert ApiToken.objects.get(name="ci").last_used_at is not None


def test_it_stores_only_the_hash_of_a_token(make_token):
    raw = make_token("read", name="ci")
    token = ApiToken.objects.get(name="ci")

    assert raw not in (token.token_hash, token.prefix)
    assert raw.startswith(f"acc_{token.prefix}_")
    assert len(token.token_hash) == 64


def test_it_refuses_a_token_without_the_scope_before_reading_the_body(client, make_token):
    # The scope is checked as authentication: a malformed body from the wrong token is a 403, not a 422
    # that would tell the caller how to shape a request it may not make.
    raw = make_token("read")

    response = post(client, raw, body={"sha": 5})

    assert response.status_code == 403
    assert response.json()["message"] == "this token lacks the 'changes:write' scope"


def test_it_refuses_a_token_without_the_read_scope_before_reading_the_query(client, make_token):
    raw = make_token("gate")

    response = client.get("/api/v1/changes?risk_min=lots", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403
    assert response.json()["message"] == "this token lacks the 'read' scope"
