"""The gate classifies the environment it is asked about; a name nobody mapped is production (fail closed)."""

import pytest

from accountability.api.models import GateDecision
from accountability.catalog.models import EnvironmentMapping
from tests.api.builders import change_awaiting_signoff

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('gate', name='deploy-pipeline')}"
    return client


def ask(client, **body):
    return client.post("/api/v1/gate", body, content_type="application/json")


@pytest.mark.parametrize("name", ["prd", "Production EU", "us-prod", "live-eu", "main", "canary"])
def test_it_denies_an_unsigned_tier_1_change_to_an_unmapped_environment(gate_client, name):
    change = change_awaiting_signoff()

    body = ask(gate_client, service="payments", sha=change.sha, environment=name).json()

    assert body["decision"] == "deny"
    assert body["environment"] == "production"
    assert "not mapped: treated as production" in body["environment_mapping"]
    assert "owner_signed_off" in {c["code"] for c in body["controls"] if not c["passed"]}
    stored = GateDecision.objects.get(pk=body["id"])
    assert (stored.environment, stored.environment_requested) == ("production", name)


def test_an_admins_mapping_decides_and_the_answer_names_it(gate_client):
    change = change_awaiting_signoff()
    EnvironmentMapping.objects.create(pattern="canary-*", environment="staging")

    body = ask(gate_client, service="payments", sha=change.sha, environment="Canary-EU").json()

    assert body["decision"] == "allow"
    assert body["environment"] == "staging"
    assert body["environment_mapping"] == "mapping “canary-*” → staging"


def test_a_mapping_to_production_is_not_undone_by_a_broader_pattern(gate_client):
    change = change_awaiting_signoff()
    EnvironmentMapping.objects.create(pattern="eu-*", environment="staging")
    EnvironmentMapping.objects.create(pattern="eu-live*", environment="production")

    body = ask(gate_client, service="payments", sha=change.sha, environment="eu-live-2").json()

    assert (body["decision"], body["environment"]) == ("deny", "production")


def test_staging_is_still_staging(gate_client):
    change = change_awaiting_signoff()

    body = ask(gate_client, service="payments", sha=change.sha, environment="staging").json()

    assert (body["decision"], body["environment"]) == ("allow", "staging")
    assert body["environment_mapping"] == "built-in name “staging” → staging"
