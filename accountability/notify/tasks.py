"""Thin tasks: the sender takes an id; the sweep is the backstop for messages whose task was lost."""

from celery import shared_task


@shared_task(name="notify.notification_send", ignore_result=True)
def notification_send_task(notification_id: int) -> None:
    from accountability.notify.services import notification_send

    notification_send(notification_id=notification_id)


@shared_task(name="notify.notifications_sweep", ignore_result=True)
def notifications_sweep_task() -> None:
    from accountability.notify.services import notifications_due_enqueue

    notifications_due_enqueue()
