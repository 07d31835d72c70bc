"""Bounded data: the raw bodies of deliveries that were applied or ignored are dropped after
INGEST_RETENTION_DAYS; failed ones are kept until someone replays them (they are the evidence of what went
wrong), and the row itself stays as the record that the delivery came and what became of it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accountability.ingest.models import Delivery

BATCH = 5_000


def deliveries_prune(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Drop bodies and headers of old processed and ignored deliveries; returns how many were pruned.

    Each batch is its own short transaction over the oldest rows only, so pruning never holds a lock the
    receiver (which inserts new rows) or a worker (which updates pending ones) would wait on.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.INGEST_RETENTION_DAYS)
    finished = [Delivery.Status.PROCESSED, Delivery.Status.IGNORED]
    pruned = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE ingest_delivery SET body = '\\x'::bytea, headers = '{}'::jsonb, pruned_at = now()
                WHERE id IN (
                    SELECT id FROM ingest_delivery
                    WHERE status = ANY(%s) AND received_at < %s AND pruned_at IS NULL
                    ORDER BY received_at LIMIT %s FOR UPDATE SKIP LOCKED
                )
                """,
                [finished, cutoff, batch],
            )
            count = cursor.rowcount
        pruned += count
        if count < batch:
            return pruned
