"""Thin Celery tasks of ingest: each imports the function it calls inside its body (services import this
module at theirs, HackSoft's rule), so no other import needs hiding."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from accountability.ingest.errors import TRANSIENT_ERRORS

# Applying deliveries retries a database or broker error with backoff: about half an hour of it, then the
# sweep takes over.
_RETRIED = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(name="ingest.process_delivery", ignore_result=True, **_RETRIED)
def process_delivery(delivery_id: int) -> None:
    from accountability.ingest.processing import delivery_process

    delivery_process(delivery_id=delivery_id, batch_size=settings.INGEST_BATCH_SIZE)


@shared_task(name="ingest.drain_deliveries", ignore_result=True, **_RETRIED)
def drain_deliveries() -> int:
    """Applies the pending deliveries in batches until none is left (ingest/wake.py)."""
    from accountability.ingest.processing import deliveries_drain

    return deliveries_drain(batch_size=settings.INGEST_BATCH_SIZE)


@shared_task(name="ingest.sweep_pending_deliveries", ignore_result=True)
def sweep_pending_deliveries() -> int:
    """Re-enqueues deliveries whose task was lost (a broker restart without persistence, a failed enqueue)."""
    from accountability.ingest.processing import deliveries_sweep

    ids = deliveries_sweep(older_than=timedelta(seconds=settings.INGEST_SWEEP_AFTER_SECONDS))
    for delivery_id in ids:
        process_delivery.delay(delivery_id)
    return len(ids)


@shared_task(name="ingest.prune_deliveries", ignore_result=True)
def prune_deliveries() -> int:
    from accountability.ingest.retention import deliveries_prune

    return deliveries_prune()


@shared_task(name="ingest.pull_source", ignore_result=True)
def pull_source(source_id: int) -> int | None:
    from accountability.ingest.pull_runner import source_pull

    return source_pull(source_id=source_id)


@shared_task(name="ingest.pull_due_sources", ignore_result=True)
def pull_due_sources() -> int:
    """Enqueue a pull of every source whose schedule says it is due (beat runs this every minute)."""
    from accountability.ingest.pull_runner import sources_due

    due = sources_due()
    for source_id in due:
        pull_source.delay(source_id)
    return len(due)
