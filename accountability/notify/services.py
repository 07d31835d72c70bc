"""The outbox: queue a notification with its cause, send it once, retry what failed for a while.

Guarantees (DESIGN §14 "nothing sent is lost, nothing sent twice"):
- queued in the caller's transaction, so it exists exactly when its cause does;
- one row per key (trigger, subject, recipient): queuing again changes nothing;
- sent under the row's lock by one worker at a time, and marked sent in the same transaction; a worker
  killed between Slack's answer and the commit is the one case that sends twice (no channel offers an
  idempotency key to close it);
- transient failures come back after a backoff (the task re-enqueues itself, and the sweep every minute
  picks up what a lost task left), until NOTIFY_MAX_ATTEMPTS; then the row is `failed` with its reason.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accountability.catalog.models import Person
from accountability.notify.channels import SENDERS, Permanent, Transient
from accountability.notify.models import Notification, NotificationSettings
from accountability.notify.tasks import notification_send_task

MAX_BACKOFF_SECONDS = 15 * 60


# What a person may mute or hold for quiet hours; incidents are never among them.
PERSONAL_TRIGGERS = (Notification.Trigger.SIGNOFF_NEEDED, Notification.Trigger.DIGEST)


def notification_queue(
    *,
    key: str,
    trigger: str,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    link: str = "",
    person: Person | None = None,
) -> Notification | None:
    """The notification for `key`, created (and sent after commit) the first time only.

    A message addressed to `person` follows their settings: none when they muted its trigger, held until
    their quiet hours end.
    """
    due = timezone.now()
    if person is not None and trigger in PERSONAL_TRIGGERS:
        chosen = NotificationSettings.objects.filter(person=person).first()
        if chosen is not None and trigger in chosen.muted_triggers:
            return None
        due = quiet_hours_end(settings_row=chosen, at=due) if chosen else due
    notification, created = Notification.objects.get_or_create(
        key=key[:300],
        defaults={
            "trigger": trigger,
            "channel": channel,
            "recipient": recipient[:300],
            "subject": subject[:300],
            "body": body,
            "link": link[:500],
            "next_attempt_at": due,
        },
    )
    if created and due <= timezone.now():
        notification_send_task.delay_on_commit(notification.id)
    # One held for quiet hours is sent by the sweep once due: a countdown of hours would outlive the
    # broker's visibility timeout and be delivered again and again.
    return notification


def quiet_hours_end(*, settings_row: NotificationSettings, at: datetime) -> datetime:
    """`at`, or the end of the person's quiet hours when `at` falls inside them (spanning midnight works)."""
    start, end = settings_row.quiet_from, settings_row.quiet_until
    if start is None or end is None or start == end:
        return at
    local = at.astimezone(ZoneInfo(settings_row.time_zone))
    now = local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return at
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until


def notification_send(*, notification_id: int) -> Notification | None:
    """Send one due notification; returns it, or None when it is not ours to send now.

    1. Lock the row if it is pending and due (another worker holding it, or a sent one, is left alone).
    2. If its recipient already had NOTIFY_RATE_PER_MINUTE messages in the last minute, move it a
       minute on: Slack throttles a channel past about one message a second.
    3. Send; record sent, a retry time with the reason, or failed with the reason.
    4. Still pending: enqueue itself again for its retry time.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if notification is None:
            return None
        recent = Notification.objects.filter(
            recipient=notification.recipient, sent_at__gt=now - timedelta(minutes=1)
        ).count()
        if recent >= settings.NOTIFY_RATE_PER_MINUTE:
            notification.next_attempt_at = now + timedelta(minutes=1)
            notification.save(update_fields=["next_attempt_at"])
        else:
            _attempt(notification, now=now)
    if notification.status == Notification.Status.PENDING:
        delay = max(0.0, (notification.next_attempt_at - timezone.now()).total_seconds())
        notification_send_task.apply_async((notification.id,), countdown=delay)
    return notification


def _attempt(notification: Notification, *, now) -> None:
    notification.attempts += 1
    try:
        notification.external_id = SENDERS[notification.channel](notification)[:200]
    except Transient as error:
        notification.last_error = str(error)[:1000]
        if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
            notification.last_error = f"gave up after {notification.attempts} attempts: {error}"[:1000]
        else:
            first = settings.NOTIFY_RETRY_BASE_SECONDS
            backoff = error.retry_after or min(MAX_BACKOFF_SECONDS, first * 2 ** (notification.attempts - 1))
            notification.next_attempt_at = now + timedelta(seconds=backoff)
    except Permanent as error:
        notification.status = Notification.Status.FAILED
        notification.last_error = str(error)[:1000]
    else:
        notification.status, notification.sent_at, notification.last_error = Notification.Status.SENT, now, ""
    notification.save()


def notification_resend(*, notification: Notification) -> None:
    """An admin's resend of a failed (or sent) notification: pending again, due now."""
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    notification_send_task.delay_on_commit(notification.pk)


def notifications_due_enqueue(*, limit: int = 500) -> int:
    """The sweep: enqueue every pending notification whose time has come (a lost task's, say)."""
    due = list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    for notification_id in due:
        notification_send_task.delay(notification_id)
    return len(due)
