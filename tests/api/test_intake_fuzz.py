"""No request body makes the intake API answer 500: random JSON, and valid bodies with one field mutated."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ChangeFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ANSWERS = {200, 201, 202, 400, 404, 409, 422}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

VALID = {
    "service": "payments",
    "sha": "9f2c1e0a7b3d4c5e6f708192a3b4c5d6e7f80912",
    "title": "Retry card captures",
    "authors": ["alice"],
    "additions": 10,
    "commits": [{"sha": "1" * 40, "message": "x"}],
    "provenance": {"ai_share": 0.2, "git_ai_notes": [], "agent_traces": []},
    "evidence": [{"kind": "ci_tests", "result": "passed"}],
    "rollback_plan": {"strategy": "revert_commit"},
}
FIELDS = sorted(VALID)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def change():
    return ChangeFactory(service=ServiceFactory(slug="payments"), sha="ab" * 20)


def assert_documented_answer(response):
    """What a pipeline relies on: never a 5xx; always JSON; an error says what was wrong in a non-empty
    message, an acceptance names the delivery it stored."""
    assert response.status_code < 500, response.content
    assert response.status_code in ANSWERS, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert isinstance(body, dict), response.content
    if response.status_code >= 400:
        assert isinstance(body.get("message"), str) and body["message"].strip(), response.content
    else:
        assert isinstance(body.get("delivery_id"), int), response.content


@SETTINGS
@given(body=json_values)
def test_it_never_fails_on_random_json(ci_client, change, body):
    assert_documented_answer(
        ci_client.post("/api/v1/changes", json.dumps(body), content_type="application/json")
    )
    assert_documented_answer(
        ci_client.post(
            f"/api/v1/changes/payments/{change.sha}/evidence",
            json.dumps(body),
            content_type="application/json",
        )
    )
    assert_documented_answer(
        ci_client.post(
            f"/api/v1/changes/payments/{change.sha}/rollback-rehearsals",
            json.dumps(body),
            content_type="application/json",
        )
    )


@SETTINGS
@given(field=st.sampled_from(FIELDS), value=json_values)
def test_it_never_fails_on_a_mutated_registration(ci_client, change, field, value):
    body = {**VALID, field: value}

    assert_documented_answer(
        ci_client.post("/api/v1/changes", json.dumps(body), content_type="application/json")
    )


@SETTINGS
@given(raw=st.binary(max_size=200), service=st.text(max_size=20), sha=st.text(max_size=70))
def test_it_never_fails_on_random_bytes_and_paths(ci_client, change, raw, service, sha):
    from urllib.parse import quote

    url = f"/api/v1/changes/{quote(service or 'x', safe='')}/{quote(sha or 'x', safe='')}/evidence"
    assert_documented_answer(ci_client.post("/api/v1/changes", raw, content_type="application/json"))
    assert_documented_answer(ci_client.post(url, raw, content_type="application/json"))
