"""Nothing sent is lost, nothing is sent twice: retries, final failures, the rate limit, the sweep, resend."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.notify.models import Notification
from accountability.notify.services import (
    notification_queue,
    notification_send,
    notifications_due_enqueue,
)

pytestmark = pytest.mark.django_db


def queue(channel: str, recipient: str, key: str = "test:1") -> Notification:
    return notification_queue(
        key=key,
        trigger="incident",
        channel=channel,
        recipient=recipient,
        subject="Incident: db down",
        body="b",
    )


def due_now(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())


def test_queuing_the_same_key_twice_keeps_one_notification():
    first, second = queue("email", "a@example.com"), queue("email", "a@example.com")
    assert first.pk == second.pk
    assert Notification.objects.count() == 1


def test_an_smtp_outage_delays_the_mail_and_it_arrives_once_when_the_server_is_back(smtp, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 600  # "not due yet" below holds however slow this machine is
    notification = queue("email", "jane@example.com")
    smtp.stop()

    notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "could not be reached" in notification.last_error
    assert notification.next_attempt_at > timezone.now()
    # Not due yet: the sweep leaves it, and a stray task does nothing.
    assert notifications_due_enqueue() == 0
    assert notification_send(notification_id=notification.pk) is None

    smtp.start()
    due_now(notification)
    notification_send(notification_id=notification.pk)
    notification_send(notification_id=notification.pk)  # a duplicate task after the send

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 2, "")
    assert [mail["To"] for mail in smtp.messages] == ["jane@example.com"]


def test_slack_answering_429_waits_for_its_retry_after_then_posts_once(slack):
    slack.refuse(429, error="ratelimited", headers={"Retry-After": "42"})
    slack.refuse(503)
    notification = queue("slack", "C0PAYMENTS")

    before = timezone.now()
    notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == "pending"
    assert timedelta(seconds=41) < notification.next_attempt_at - before < timedelta(seconds=60)

    due_now(notification)
    notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == ("pending", "Slack answered 503 http_503")

    due_now(notification)
    notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)
    assert notification.external_id.startswith("1700000000.")
    assert [call["channel"] for call in slack.calls] == ["C0PAYMENTS"]


def test_a_channel_slack_does_not_know_fails_at_once_with_the_reason(slack):
    slack.refuse(200, error="channel_not_found")
    notification = queue("slack", "C0GONE")

    notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert notification.last_error == "Slack refused the message: channel_not_found"


def test_it_gives_up_after_the_last_attempt(smtp, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    smtp.stop()
    notification = queue("email", "jane@example.com")
    for _ in range(2):
        due_now(notification)
        notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.last_error.startswith("gave up after 2 attempts")


def test_a_busy_recipient_waits_a_minute_instead_of_being_flooded(slack, settings):
    settings.NOTIFY_RATE_PER_MINUTE = 2
    notifications = [queue("slack", "C0PAYMENTS", key=f"k{n}") for n in range(3)]
    for notification in notifications:
        notification_send(notification_id=notification.pk)

    statuses = [Notification.objects.get(pk=n.pk).status for n in notifications]
    assert statuses == ["sent", "sent", "pending"]
    assert len(slack.calls) == 2
    assert Notification.objects.get(pk=notifications[2].pk).attempts == 0


def test_the_sweep_enqueues_what_is_due(smtp, eager_tasks):
    notification = queue("email", "jane@example.com")  # its own task ran at commit: none in this test

    assert notifications_due_enqueue() == 1

    notification.refresh_from_db()
    assert notification.status == "sent"
    assert len(smtp.messages) == 1


def test_an_admin_resends_a_failed_notification(
    admin_client, smtp, eager_tasks, django_capture_on_commit_callbacks
):
    notification = queue("email", "jane@example.com")
    Notification.objects.filter(pk=notification.pk).update(status="failed", last_error="refused")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notify/notification/", {"action": "resend", "_selected_action": [notification.pk]}
        )

    assert response.status_code == 302
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == ("sent", "")
    assert len(smtp.messages) == 1
