"""What the owner sees around a sign-off: errors summarised at the top, a page agreeing with the decision."""

import pytest

from accountability.analysis.services import change_analyze
from accountability.changes.models import SignOff
from tests.changes.test_signoff_view import ATTESTATIONS
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    EvidenceFactory,
    MembershipFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return PersonFactory(name="Olga Owner", github_login="olga")


@pytest.fixture
def change(owner):
    service = ServiceFactory(name="Payments API", tier=1, owner_of_record=owner)
    MembershipFactory(person=owner, team=service.owner_team)
    change = ChangeFactory(service=service, author_logins=["alice"])
    AIProvenanceFactory(change=change, level="none", ai_share=0, confidence="line_level")
    EvidenceFactory(change=change, sha=change.sha)
    EvidenceFactory(change=change, kind="human_review", actor_login="bob", sha=change.sha)
    RollbackPlanFactory(change=change, data_reversible=True)
    change_analyze(change_id=change.pk)
    return change


@pytest.fixture
def owner_client(client, owner):
    client.force_login(user_with_role("owner", person=owner))
    return client


def test_it_summarises_the_errors_at_the_top_of_the_form_with_an_anchor(owner_client, change):
    response = owner_client.post(f"/changes/{change.pk}/sign/", {"decision": "approve"})

    body = response.content.decode()
    assert response.status_code == 400
    assert f'action="/changes/{change.pk}/sign/#sign-errors"' in body
    summary = body[body.index('id="sign-errors"') :]
    assert summary.index("4 things to fix") < summary.index("Decision</legend>")
    assert 'href="#id_read_ai_parts"' in summary.split("</ul>")[0]
    assert "data-error-summary" in body and 'tabindex="-1"' in body


def test_the_page_after_an_approval_agrees_with_it(owner_client, change):
    response = owner_client.post(f"/changes/{change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})
    assert response.status_code == 302

    change.refresh_from_db()
    assert change.approved is True
    controls = {c["code"]: c["passed"] for c in change.policy_results.get(environment="production").controls}
    assert controls.get("owner_signed_off") is True
    page = owner_client.get(response["Location"]).content.decode()
    assert "Nobody has signed" not in page
    assert "You approved this change" in page
    assert 'class="signoff"' not in page  # no second form
    assert ">Revoke</button>" in page


def test_revoking_from_the_page_brings_the_form_back(owner_client, change):
    owner_client.post(f"/changes/{change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})
    approval = SignOff.objects.get()

    owner_client.post(f"/changes/{change.pk}/revoke/", {"signoff": approval.pk, "note": "wrong build"})

    change.refresh_from_db()
    assert change.approved is False
    page = owner_client.get(f"/changes/{change.pk}/").content.decode()
    assert 'class="signoff"' in page and "You approved this change" not in page


def test_a_second_approval_posted_anyway_is_refused_with_a_message(owner_client, change):
    owner_client.post(f"/changes/{change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})

    response = owner_client.post(f"/changes/{change.pk}/sign/", {"decision": "approve", **ATTESTATIONS})

    assert response.status_code == 400
    assert "already has an approval in force" in response.content.decode()
    assert SignOff.objects.filter(change=change).count() == 1
