"""GitHub's API for the GitHub App as the tests' peer (the `github` fixture in tests/api/conftest.py):
installation tokens, protection-rule answers and commit statuses, as GitHub documents them."""

import json
import os

from werkzeug import Response

APP_ID = "271828"
# One installation per xdist worker: its cached token lives in the Redis the workers share, and one worker's
# fixture dropping it must not make another mint a second token mid-test.
INSTALLATION = 4242 + 1000 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
CALLBACK_PATH = "/repos/acme/payments/actions/runs/99/deployment_protection_rule"
TOKEN_PATH = f"/app/installations/{INSTALLATION}/access_tokens"
STATUSES_PREFIX = "/repos/acme/payments/statuses/"


def status_created(request, status_id: int) -> Response:
    body = {**request.get_json(), "id": status_id, "url": request.url}
    return Response(json.dumps(body), status=201, content_type="application/json")


def statuses(github) -> list[tuple[str, str, dict]]:
    """(sha, Authorization header, JSON body) of each commit status GitHub received, in order."""
    return [
        (request.path.removeprefix(STATUSES_PREFIX), request.headers["Authorization"], request.get_json())
        for request, _ in github.log
        if request.path.startswith(STATUSES_PREFIX)
    ]
