from celery import shared_task
from celery.signals import worker_ready

from accountability.web.heartbeat import heartbeat_record


@shared_task(name="web.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    heartbeat_record()


@worker_ready.connect
def record_heartbeat_on_start(**kwargs) -> None:
    # A worker that just started is alive now; the home page should not wait for the first beat to say so.
    heartbeat_record()
