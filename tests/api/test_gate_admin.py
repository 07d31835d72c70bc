import pytest

from accountability.gate.decisions import gate_decide
from tests.api.builders import change_awaiting_signoff

pytestmark = pytest.mark.django_db


def test_it_lists_gate_decisions_for_admins_without_letting_them_edit_one(admin_client):
    change = change_awaiting_signoff()
    decision = gate_decide(service_slug="payments", sha=change.sha, environment="production")

    listing = admin_client.get("/admin/api/gatedecision/")
    edit = admin_client.post(f"/admin/api/gatedecision/{decision.pk}/change/", {"decision": "allow"})

    assert listing.status_code == 200
    assert change.sha.encode() in listing.content
    assert edit.status_code == 403
    decision.refresh_from_db()
    assert decision.decision == "deny"


def test_it_lists_protection_rule_requests(admin_client):
    assert admin_client.get("/admin/api/protectionrulerequest/").status_code == 200
