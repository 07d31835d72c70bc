"""Writes of the ingest app: storing deliveries (the one path every outside write takes), replaying them."""

import json

from django.db import connection, transaction
from django.db.models import QuerySet

from accountability.ingest.models import Delivery, Source

_INSERT_DELIVERY = f"""
    INSERT INTO {Delivery._meta.db_table}
        (source_id, external_id, event_type, headers, body, received_at, status, attempts, error)
    VALUES (%s, %s, %s, %s::jsonb, %s, now(), %s, 0, '')
    ON CONFLICT (source_id, external_id) DO NOTHING
    RETURNING id, received_at
"""  # noqa: S608 - the table name is ours, every value is a parameter


def delivery_store(
    *, source: Source, external_id: str, event_type: str, headers: dict, body: bytes
) -> tuple[Delivery, bool]:
    """Stores a delivery once per (source, external id) and enqueues its processing after commit.

    Returns (delivery, created); a redelivery returns the stored row with created False and enqueues nothing,
    so a sender retrying never gets anything processed twice.
    """
    from accountability.ingest.tasks import process_delivery

    with transaction.atomic():
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
        process_delivery.delay_on_commit(delivery.id)
    return delivery, True


def deliveries_replay(*, deliveries: QuerySet[Delivery]) -> int:
    """Puts finished deliveries back to pending and enqueues them; returns how many were replayed.

    Applying a delivery is idempotent, so replaying a processed one changes nothing; replaying a failed or
    ignored one applies it with today's code and catalog (a repository added to a service since, a bug fixed).
    """
    from accountability.ingest.tasks import process_delivery

    with transaction.atomic():
        finished = deliveries.exclude(status=Delivery.Status.PENDING).select_for_update()
        ids = list(finished.values_list("id", flat=True))
        Delivery.objects.filter(id__in=ids).update(
            status=Delivery.Status.PENDING, error="", processed_at=None
        )
        for delivery_id in ids:
            process_delivery.delay_on_commit(delivery_id)
    return len(ids)
