"""Writes of the ingest app: storing deliveries (the one path every outside write takes), replaying them.

Receiving (verifying and parsing a sender's request with its source's module) is in receiving.py."""

import json
import logging

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accountability.ingest.models import Delivery, Source
from accountability.ingest.wake import deliveries_wake

logger = logging.getLogger(__name__)

_INSERT_DELIVERY = f"""
    INSERT INTO {Delivery._meta.db_table}
        (source_id, external_id, event_type, headers, body, received_at, status, attempts, error)
    VALUES (%s, %s, %s, %s::jsonb, %s, now(), %s, 0, '')
    ON CONFLICT (source_id, external_id) DO NOTHING
    RETURNING id, received_at
"""  # noqa: S608 - the table name is ours, every value is a parameter


def _storable(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; no sender means one.
    return value.replace("\x00", "")


def _clean(headers: dict) -> dict:
    return {_storable(str(name)): _storable(str(value)) for name, value in headers.items()}


def delivery_store(
    *, source: Source, external_id: str, event_type: str, headers: dict, body: bytes
) -> tuple[Delivery, bool]:
    """Stores a delivery once per (source, external id) and enqueues its processing after commit.

    Returns (delivery, created); a redelivery returns the stored row with created False and enqueues nothing,
    so a sender retrying never gets anything processed twice.
    """
    external_id, event_type, headers = (
        _storable(external_id)[:200],
        _storable(event_type)[:200],
        _clean(headers),
    )
    # One statement, atomic by itself: outside a transaction it commits at once (no BEGIN/COMMIT round
    # trips on the receive path), inside a caller's transaction it commits with it.
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_DELIVERY,
            [source.pk, external_id, event_type, json.dumps(headers), body, Delivery.Status.PENDING],
        )
        row = cursor.fetchone()
    if row is None:
        return Delivery.objects.get(source=source, external_id=external_id), False
    delivery = Delivery(
        id=row[0],
        source=source,
        external_id=external_id,
        event_type=event_type,
        headers=headers,
        body=body,
        received_at=row[1],
    )
    # The row is the record: if the broker is down the wake-up fails after commit, is logged, and the sweep
    # enqueues the delivery later; the sender still gets its 2xx.
    transaction.on_commit(deliveries_wake, robust=True)
    return delivery, True


def deliveries_replay(*, deliveries: QuerySet[Delivery], enqueue: bool = True) -> int:
    """Puts finished deliveries back to pending and enqueues them; returns how many were replayed.

    Applying a delivery is idempotent, so replaying a processed one changes nothing; replaying a failed or
    ignored one applies it with today's code and catalog (a repository added to a service since, a bug fixed).
    """
    with transaction.atomic():
        # A delivery whose body was pruned has nothing left to apply.
        finished = (
            deliveries.exclude(status=Delivery.Status.PENDING)
            .filter(pruned_at__isnull=True)
            .select_for_update()
        )
        ids = list(finished.values_list("id", flat=True))
        Delivery.objects.filter(id__in=ids).update(
            status=Delivery.Status.PENDING, error="", processed_at=None
        )
        if ids and enqueue:
            transaction.on_commit(deliveries_wake, robust=True)
    return len(ids)


def delivery_store_rejected(
    *, source: Source, external_id: str, headers: dict, body: bytes, error: str
) -> None:
    """Keeps a signed delivery that could not be understood, as failed with the reason; never processed."""
    Delivery.objects.bulk_create(
        [
            Delivery(
                source=source,
                external_id=_storable(external_id)[:200],
                headers=_clean(headers),
                body=body,
                status=Delivery.Status.FAILED,
                error=error[:2000],
                processed_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )
