"""The scope matrix covers the whole API, and a dashboard session opens none of it.

The API authenticates machines by token only: a logged-in user of any role, without a token, gets 401 on every
route (so a browser session, which carries no CSRF protection into the API, can never write through it).
"""

import re

import pytest

from accountability.api.api import api
from tests.api.test_scope_matrix import ENDPOINTS, call
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

# Public by design: the API's description and its docs page.
PUBLIC = {("get", "/api/v1/openapi.json"), ("get", "/api/v1/docs")}


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [(method, path) for path, item in schema["paths"].items() for method in item]


def test_it_covers_every_route_of_the_api_in_the_scope_matrix():
    missing = []
    for method, template in _operations():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/?]+", template) + r"(\?.*)?$")
        if not any(m == method and pattern.match(path) for m, path, _, _ in ENDPOINTS):
            missing.append(f"{method.upper()} {template}")
    assert missing == []


@pytest.mark.parametrize("role", ["viewer", "owner", "commander", "admin"])
def test_it_refuses_a_dashboard_session_without_a_token(client, role):
    client.force_login(user_with_role(role, is_superuser=role == "admin"))
    answers = {}
    for method, path, body, _ in ENDPOINTS:
        filled = path.format(change=1, incident=1, delivery=1)
        if body is not None:
            response = getattr(client, method)(filled, body, content_type="application/json")
        else:
            response = getattr(client, method)(filled)
        answers[f"{method} {filled}"] = (response.status_code, response.json()["message"])

    refused = (401, "a valid API token is required: Authorization: Bearer <token>")
    assert answers == dict.fromkeys(answers, refused)


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
def test_it_serves_the_api_description_without_a_token(client, method, path):
    assert call(client, method, path, None, "not-a-token").status_code == 200
