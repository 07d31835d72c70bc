from datetime import timedelta

from celery import shared_task
from django.conf import settings

from accountability.ingest.processing import TRANSIENT_ERRORS, deliveries_sweep, delivery_process


@shared_task(
    name="ingest.process_delivery",
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,  # about half an hour of backoff; the sweep takes over after that
)
def process_delivery(delivery_id: int) -> None:
    delivery_process(delivery_id=delivery_id, batch_size=settings.INGEST_BATCH_SIZE)


@shared_task(name="ingest.sweep_pending_deliveries", ignore_result=True)
def sweep_pending_deliveries() -> int:
    """Re-enqueues deliveries whose task was lost (a broker restart without persistence, a failed enqueue)."""
    ids = deliveries_sweep(older_than=timedelta(seconds=settings.INGEST_SWEEP_AFTER_SECONDS))
    for delivery_id in ids:
        process_delivery.delay(delivery_id)
    return len(ids)


@shared_task(name="ingest.prune_deliveries", ignore_result=True)
def prune_deliveries() -> int:
    from accountability.ingest.retention import deliveries_prune

    return deliveries_prune()
