"""JSON bodies may spell Infinity and NaN (Python's parser accepts them): refused with a 422, never a 500."""

import json

import pytest

from accountability.api.tokens import token_create
from tests.factories import ChangeFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SHA = "ab" * 20
NUMBER = "__number__"
TRACE = {
    "version": "0.1.0",
    "vcs": {"type": "git", "revision": SHA},
    "files": [
        {
            "path": "a.py",
            "conversations": [
                {"contributor": {"type": "ai"}, "ranges": [{"start_line": NUMBER, "end_line": 2}]}
            ],
        }
    ],
}


def with_number(document: dict, number: str) -> str:
    return json.dumps(document).replace(f'"{NUMBER}"', number)


@pytest.fixture
def ci(client):
    _, raw = token_create(name="ci", scopes=["changes:write"])
    return lambda path, body: client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN"])
def test_it_refuses_an_agent_trace_with_a_non_finite_line(ci, number):
    response = ci("/api/v1/provenance", with_number({"agent_traces": [TRACE]}, number))

    assert response.status_code == 422
    assert response.json()["message"] == "the request is not valid"


@pytest.mark.parametrize("number", ["Infinity", "NaN"])
def test_it_refuses_a_change_with_a_non_finite_ai_share(ci, number):
    ServiceFactory(slug="payments")
    body = {"service": "payments", "sha": SHA, "provenance": {"ai_share": NUMBER}}

    assert ci("/api/v1/changes", with_number(body, number)).status_code == 422


@pytest.mark.parametrize("number", ["Infinity", "NaN"])
def test_it_refuses_a_change_with_non_finite_ai_lines(ci, number):
    ChangeFactory(service=ServiceFactory(slug="payments"), sha=SHA)
    body = {"service": "payments", "sha": SHA, "provenance": {"ai_lines": {"a.py": [[1, NUMBER]]}}}

    assert ci("/api/v1/changes", with_number(body, number)).status_code == 422
