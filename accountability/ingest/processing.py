"""Applying stored deliveries: exactly once, whatever fails around it."""

import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accountability.ingest.errors import DeliveryIgnored, PayloadError
from accountability.ingest.models import Delivery

logger = logging.getLogger(__name__)

# Errors that say "not now" rather than "never": the task retries them with backoff; everything else
# marks the delivery failed so that it never blocks the others.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)


def delivery_process(*, delivery_id: int) -> None:
    """Applies one pending delivery through its source's adapter.

    1. Claim: a conditional UPDATE (pending → pending, attempts + 1) whose row count is checked. The row lock
       it takes is held until the end of the transaction, so a second worker running the same delivery waits,
       then finds it no longer pending and does nothing.
    2. Parse and apply inside a savepoint, in the same transaction as the status change: the domain writes and
       "processed" commit together or not at all, so a worker killed mid-way leaves the delivery pending
       (the broker redelivers it, or the sweep re-enqueues it) and nothing half-applied.
    3. Record the outcome: processed, ignored (with the reason) or failed (with a readable error).
       Transient database/broker errors propagate, so the task retries them.
    """
    from accountability.ingest.adapters import ADAPTERS

    with transaction.atomic():
        claimed = Delivery.objects.filter(id=delivery_id, status=Delivery.Status.PENDING).update(
            attempts=F("attempts") + 1
        )
        if not claimed:
            return  # gone, or already applied by an earlier run
        delivery = Delivery.objects.select_related("source").get(id=delivery_id)
        adapter = ADAPTERS.get(delivery.source.kind)
        status, error = Delivery.Status.PROCESSED, ""
        try:
            if adapter is None:
                raise PayloadError(f"no adapter handles sources of kind {delivery.source.kind!r}")
            with transaction.atomic():
                payload = adapter.parse(body=bytes(delivery.body), headers=delivery.headers)
                status = adapter.delivery_apply(delivery=delivery, payload=payload)
        except DeliveryIgnored as reason:
            status, error = Delivery.Status.IGNORED, str(reason)
        except PayloadError as problem:
            status, error = Delivery.Status.FAILED, str(problem)
        except TRANSIENT_ERRORS:
            raise
        except Exception as bug:
            # A defect in an adapter must not retry forever nor hold up other deliveries: it is recorded,
            # fixed, and the delivery replayed.
            logger.exception("delivery %s failed unexpectedly", delivery_id)
            status, error = Delivery.Status.FAILED, f"internal error: {type(bug).__name__}: {bug}"
        if status == Delivery.Status.IGNORED and not error:
            error = f"event type {delivery.event_type!r} is not used"
        Delivery.objects.filter(id=delivery_id).update(
            status=status, error=error[:2000], processed_at=timezone.now()
        )


def deliveries_sweep(*, older_than: timedelta, limit: int = 10_000) -> list[int]:
    """Ids of deliveries whose task was lost, marked as swept; the caller enqueues them again.

    A delivery qualifies when it is still pending `older_than` after it was received, is not being processed
    right now (its row is not locked by a claim: SKIP LOCKED), and was not swept within the last four
    `older_than`, so that during a long worker outage one delivery is not queued again every minute.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, received_at__lt=now - older_than)
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lt=now - 4 * older_than))
            .order_by("received_at")
            .values_list("id", flat=True)[:limit]
        )
        Delivery.objects.filter(id__in=ids).update(swept_at=now)
    return ids
