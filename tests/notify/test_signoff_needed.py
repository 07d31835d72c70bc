"""The gate refuses a production deploy for a missing sign-off: the owner of record gets one e-mail."""

import pytest

from accountability.api.tokens import token_create
from accountability.notify.models import Notification
from tests.factories import ChangeFactory, PersonFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def change():
    owner = PersonFactory(name="Jane Doe", email="jane@example.com")
    service = ServiceFactory(
        slug="payments-api",
        name="Payments API",
        tier=1,
        owner_of_record=owner,
        owner_team=TeamFactory(name="Payments", chat_channel="C0PAYMENTS"),
    )
    return ChangeFactory(service=service, sha="a" * 40, title="Retry card captures twice")


def ask_gate(client, token: str, environment: str = "production"):
    return client.post(
        "/api/v1/gate",
        {"service": "payments-api", "sha": "a" * 40, "environment": environment},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def token():
    _, raw = token_create(name="deploy-pipeline", scopes=["gate"])
    return raw


def test_a_deny_for_a_missing_signoff_emails_the_owner_once(
    client, change, token, smtp, eager_tasks, django_capture_on_commit_callbacks
):
    for _ in range(3):  # a pipeline that retries its gate call
        with django_capture_on_commit_callbacks(execute=True):
            answer = ask_gate(client, token)
        assert answer.json()["decision"] == "deny"

    [mail] = smtp.messages
    assert mail["To"] == "jane@example.com"
    assert mail["Subject"] == "Sign-off needed: Payments API — Retry card captures twice"
    body = mail.get_content()
    assert "waiting to deploy to production" in body
    assert f"/changes/{change.pk}/sign/" in body
    assert Notification.objects.get(channel="email").status == "sent"


def test_the_team_channel_hears_too_when_slack_is_configured(
    client, change, token, smtp, slack, eager_tasks, django_capture_on_commit_callbacks
):
    slack.users["jane@example.com"] = "U0JANE"
    with django_capture_on_commit_callbacks(execute=True):
        ask_gate(client, token)

    by_channel = {call["channel"]: call for call in slack.calls}
    assert sorted(by_channel) == ["C0PAYMENTS", "U0JANE"]
    assert "Owner of record: Jane Doe" in by_channel["C0PAYMENTS"]["blocks"][0]["text"]["text"]


def test_the_owner_gets_a_direct_message_found_by_their_email(
    client, change, token, smtp, slack, eager_tasks, django_capture_on_commit_callbacks
):
    slack.users["jane@example.com"] = "U0JANE"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            ask_gate(client, token)

    [direct] = [call for call in slack.calls if call["channel"] == "U0JANE"]
    assert direct["text"] == "Sign-off needed: Payments API — Retry card captures twice"
    assert f"/changes/{change.pk}/sign/" in direct["blocks"][-1]["elements"][0]["text"]
    assert slack.lookups == ["jane@example.com"]


def test_an_owner_unknown_to_slack_still_gets_the_email_and_the_reason_is_kept(
    client, change, token, smtp, slack, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask_gate(client, token)

    assert [mail["To"] for mail in smtp.messages] == ["jane@example.com"]
    assert [call["channel"] for call in slack.calls] == ["C0PAYMENTS"]
    direct = Notification.objects.get(channel="slack_direct")
    assert direct.status == "failed"
    assert direct.last_error == "no Slack user has the address jane@example.com"


def test_a_staging_deny_that_is_not_about_the_signoff_sends_nothing(
    client, change, token, smtp, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = ask_gate(client, token, environment="staging")

    failed = {control["code"] for control in answer.json()["controls"] if not control["passed"]}
    assert answer.json()["decision"] == "deny"
    assert failed and not failed & {"owner_signed_off", "signer_accountable"}
    assert smtp.messages == []
    assert not Notification.objects.exists()
