"""Every 4xx of /api/v1/ is JSON {"message", "errors"}; nothing a client sends produces a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_scopes_client(client, make_token):
    raw = make_token("read", "changes:write", "evidence:write", "gate", name="everything")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_it_answers_json_404_for_an_unknown_api_path(all_scopes_client):
    response = all_scopes_client.get("/api/v1/no/such/thing")

    assert response.status_code == 404
    assert response.json() == {"message": "no API endpoint /api/v1/no/such/thing", "errors": []}


def test_it_answers_json_404_for_an_unknown_path_with_a_line_break(all_scopes_client):
    # Found by the intake fuzz test (a sha with "/" and a newline): the catch-all's `.` stopped at a newline,
    # so no API pattern matched and the site's HTML 404 came back.
    response = all_scopes_client.post("/api/v1/changes/x/a/b%0A/evidence", b"{}", "application/json")

    assert response.status_code == 404
    assert response.json() == {"message": "no API endpoint /api/v1/changes/x/a/b\n/evidence", "errors": []}


def test_it_answers_json_405_for_a_wrong_method(all_scopes_client):
    response = all_scopes_client.delete("/api/v1/gate")

    assert response.status_code == 405
    assert response.json() == {"message": "method not allowed; use POST", "errors": []}
    assert response["Allow"] == "POST"


def test_it_answers_json_400_for_a_body_that_is_not_json(all_scopes_client):
    response = all_scopes_client.post("/api/v1/gate", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"message", "errors"}


def test_it_answers_json_401_without_a_token(client):
    response = client.get("/api/v1/changes")

    assert response.status_code == 401
    assert response.json() == {
        "message": "a valid API token is required: Authorization: Bearer <token>",
        "errors": [],
    }


def test_it_answers_a_path_id_beyond_any_integer_with_a_404_not_a_500(all_scopes_client):
    response = all_scopes_client.get(f"/api/v1/changes/{2**70}")

    assert response.status_code in (404, 422)
    assert set(response.json()) == {"message", "errors"}


def test_it_answers_a_nul_character_with_a_422_naming_where_not_a_500(all_scopes_client):
    in_path = all_scopes_client.get("/api/v1/services/pay%00ments")
    in_query = all_scopes_client.get("/api/v1/changes?service=pay%00ments")
    in_body = all_scopes_client.post(
        "/api/v1/gate", '{"service": "pay\\u0000", "sha": "abcdef1"}', content_type="application/json"
    )

    assert [r.status_code for r in (in_path, in_query, in_body)] == [422, 422, 422]
    assert [r.json()["errors"][0]["field"] for r in (in_path, in_query, in_body)] == [
        "path",
        "query.service",
        "body",
    ]


def test_it_answers_an_oversized_body_with_json_413(all_scopes_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = all_scopes_client.post(
        "/api/v1/gate", '{"service": "' + "a" * 2000 + '"}', content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {"message": "the request body is larger than 1000 bytes", "errors": []}
