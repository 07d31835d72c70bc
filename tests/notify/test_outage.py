"""Slack and the mail server down, then back: a real worker delivers every queued message exactly once."""

import pytest
from django.db import transaction

from accountability.notify.models import Notification
from accountability.notify.services import notification_queue
from accountability.web.heartbeat import heartbeat_last
from tests.conftest import wait_until


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("NOTIFY_RETRY_BASE_SECONDS", "1")


@pytest.mark.django_db(transaction=True)
def test_messages_queued_during_an_outage_arrive_once_when_the_peers_are_back(
    slack, smtp, fast_retries, celery_worker_process
):
    wait_until(heartbeat_last, timeout=60)
    smtp.stop()
    for _ in range(100):
        slack.refuse(503)

    with transaction.atomic():
        for n in range(3):
            for channel, recipient in (("slack", f"C0TEAM{n}"), ("email", f"owner{n}@example.com")):
                notification_queue(
                    key=f"outage:{n}:{channel}",
                    trigger="incident",
                    channel=channel,
                    recipient=recipient,
                    subject=f"Incident {n}",
                    body=f"Incident {n} body",
                )

    # Every message has failed at least twice while the peers were down, and is still waiting.
    wait_until(lambda: not Notification.objects.filter(attempts__lt=2).exists(), timeout=120)
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    assert slack.calls == [] and smtp.messages == []

    smtp.start()
    slack.answers.clear()
    wait_until(lambda: not Notification.objects.exclude(status="sent").exists(), timeout=120)

    assert sorted(call["channel"] for call in slack.calls) == ["C0TEAM0", "C0TEAM1", "C0TEAM2"]
    assert sorted(mail["To"] for mail in smtp.messages) == [f"owner{n}@example.com" for n in range(3)]
