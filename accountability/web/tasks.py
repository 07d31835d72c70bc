from celery import shared_task

from accountability.web.heartbeat import heartbeat_record


@shared_task(name="web.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    heartbeat_record()
