"""The gate's production answer written back to GitHub as a commit status on the change's sha.

The pipeline asks the gate through the API; GitHub (pytest-httpserver speaking its statuses API) receives
the status the pull request shows: what is missing before the owner signs, who signed after.
"""

import pytest

from accountability.changes.ledger import signoff_append
from accountability.notify.models import Notification
from tests.api.builders import change_awaiting_signoff
from tests.api.github_peer import INSTALLATION, statuses

pytestmark = pytest.mark.django_db


@pytest.fixture
def installed(github, settings):
    settings.GITHUB_APP_INSTALLATION_ID = INSTALLATION
    return github


@pytest.fixture
def ask_gate(client, make_token, django_capture_on_commit_callbacks):
    """The pipeline's gate call for the change, its after-commit work (the outbox) run at once."""
    token = make_token("gate")

    def ask(change, environment="production"):
        return _ask(client, token, change, django_capture_on_commit_callbacks, environment)

    return ask


def _ask(client, token, change, capture, environment):
    with capture(execute=True):
        answer = client.post(
            "/api/v1/gate",
            {"service": change.service.slug, "sha": change.sha, "environment": environment},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert answer.status_code == 200
    return answer.json()["decision"]


def test_a_deny_tells_the_pull_request_whose_signoff_is_missing_once(
    ask_gate, installed, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    for _ in range(3):  # a pipeline retrying its gate call
        assert ask_gate(change) == "deny"

    [(sha, authorization, status)] = statuses(installed)
    assert sha == change.sha
    assert authorization == "Bearer ghs_installation_token"
    assert status["state"] == "failure"
    assert status["description"] == f"needs sign-off from {change.service.owner_team.name}; policy deny"
    assert status["context"] == "accountability/production"
    assert status["target_url"].endswith(f"/changes/{change.pk}/")


def test_the_owners_signature_turns_the_status_green_with_their_name(
    ask_gate, installed, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    ask_gate(change)
    owner = change.service.owner_of_record

    with django_capture_on_commit_callbacks(execute=True):
        signoff_append(change=change, signer=owner, decision="approve")

    assert [status["state"] for _, _, status in statuses(installed)] == ["failure", "success"]
    assert statuses(installed)[-1][2]["description"] == f"Approved by {owner.name}; policy allow"
    # Asking the gate again after the signature changes nothing on GitHub: it already shows this answer.
    ask_gate(change)
    assert len(statuses(installed)) == 2


def test_a_revoked_signature_turns_it_red_again(
    ask_gate, installed, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    owner = change.service.owner_of_record
    with django_capture_on_commit_callbacks(execute=True):
        approval = signoff_append(change=change, signer=owner, decision="approve")
    with django_capture_on_commit_callbacks(execute=True):
        signoff_append(change=change, signer=owner, decision="revoke", revokes=approval)

    assert [status["state"] for _, _, status in statuses(installed)] == ["success", "failure"]


def test_staging_answers_and_repositories_without_an_installation_stay_off_github(
    ask_gate, github, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.GITHUB_APP_INSTALLATION_ID = None
    change = change_awaiting_signoff()
    ask_gate(change)  # no installation known
    settings.GITHUB_APP_INSTALLATION_ID = INSTALLATION
    ask_gate(change, environment="staging")

    assert statuses(github) == []
    assert not Notification.objects.filter(channel="github_status").exists()


def test_a_status_github_refuses_is_failed_with_its_reason(
    ask_gate, installed, httpserver, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    # GitHub without the statuses permission: tokens still minted, a 403 on the status.
    httpserver.clear_all_handlers()
    httpserver.expect_request(f"/app/installations/{INSTALLATION}/access_tokens").respond_with_json(
        {"token": "ghs_installation_token", "expires_at": "2999-01-01T00:00:00Z"}, status=201
    )
    httpserver.expect_request(f"/repos/acme/payments/statuses/{change.sha}").respond_with_json(
        {"message": "Resource not accessible by integration"}, status=403
    )

    ask_gate(change)

    status = Notification.objects.get(channel="github_status")
    assert status.status == "failed"
    assert "403" in status.last_error and "Resource not accessible by integration" in status.last_error
