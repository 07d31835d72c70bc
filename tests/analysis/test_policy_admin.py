"""The policy is edited in the admin; saving publishes a new version instead of editing one."""

import json

import pytest
from django.urls import reverse

from accountability.analysis.models import Policy
from accountability.analysis.policy import DEFAULT_POLICY_RULES, policy_active
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.login(username=admin.username, password=TEST_PASSWORD)
    return client


def test_it_publishes_an_edit_as_the_next_active_version(admin_client):
    first = policy_active()
    rules = json.loads(json.dumps(DEFAULT_POLICY_RULES))
    rules["params"]["rehearsal_max_age_days"] = 30

    response = admin_client.post(
        reverse("admin:analysis_policy_change", args=[first.pk]),
        {"name": "Stricter rehearsals", "rules": json.dumps(rules), "note": "After the March incident"},
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.is_active, first.rules) == (False, DEFAULT_POLICY_RULES)
    active = Policy.objects.get(is_active=True)
    assert (active.version, active.name, active.rules["params"]["rehearsal_max_age_days"]) == (
        2,
        "Stricter rehearsals",
        30,
    )
    assert active.created_by.username == "admin"


def test_it_refuses_rules_that_cannot_be_evaluated(admin_client):
    response = admin_client.post(
        reverse("admin:analysis_policy_add"),
        {"name": "Broken", "rules": json.dumps({"controls": [{"code": "vibes"}]}), "note": ""},
    )

    assert response.status_code == 200
    assert "code must be one of" in response.content.decode()
    assert not Policy.objects.exists()
