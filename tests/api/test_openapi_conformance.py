"""schemathesis against the app's own OpenAPI document: no server error, no answer the schema contradicts.

Besides schemathesis' own checks, each answer is asserted explicitly: never a 5xx, always JSON, and an error
always says what was wrong in a non-empty `message` (the shape of api/errors.py).

Requests go through the whole Django stack (WSGI) with a token of every scope and a small seeded world, so
generated ids and slugs sometimes hit real rows. Bounded: a few dozen examples per operation.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from accountability.api.tokens import token_create
from accountability.catalog.models import PathOwner
from accountability.wsgi import application
from tests.api.builders import change_awaiting_signoff
from tests.factories import IncidentFactory, SuspectChangeFactory

MAX_EXAMPLES = 30


# Invalid data is rejected with these codes. 413 is among them: a generated body past Django's upload limit is
# refused whole (documented on every writing operation) before its fields are read.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)

# Loaded at collection through the WSGI app: serving the document needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db):
    # As Django's test client does: a request must not close the test's connection (and its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def everything_token(db):
    change = change_awaiting_signoff()
    incident = IncidentFactory()
    incident.services.add(change.service)
    SuspectChangeFactory(incident=incident, change=change)
    PathOwner.objects.create(repository="acme/payments", pattern="*", owners=["@acme/payments"], line=1)
    _, raw = token_create(name="schemathesis", scopes=["read", "changes:write", "evidence:write", "gate"])
    return raw


def content_type(response) -> str:
    return next(
        (", ".join(values) for name, values in response.headers.items() if name.lower() == "content-type"), ""
    )


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_it_keeps_every_answer_to_its_schema(case, everything_token):
    headers = {"Authorization": f"Bearer {everything_token}"}
    response = case.call(headers=headers)
    # What a client relies on, whatever schemathesis makes of the schema.
    where = f"{case.method} {case.formatted_path} answered {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    assert content_type(response).startswith("application/json"), where
    body = response.json()
    if response.status_code >= 400:
        assert isinstance(body, dict), where
        assert isinstance(body.get("message"), str), where
        assert body["message"].strip(), where
    # Then schemathesis' own checks, told what was sent (as call_and_validate tells them).
    case.validate_response(
        response,
        headers=headers,
        transport_kwargs={"headers": dict(headers)},
        # A schema-valid request may still name a service that does not exist or carry a forged cursor:
        # the API answers those with a documented 422, which this check would call a failure.
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
