"""Writes of the ingest app: storing deliveries (the one path every outside write takes), replaying them."""

import json
import logging
import secrets
import time
from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accountability.ingest.errors import PayloadError
from accountability.ingest.models import PULLED_HEADER, Delivery, Source

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
    from accountability.ingest.tasks import process_delivery

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
    # The row is the record: if the broker is down the enqueue fails after commit, is logged, and the sweep
    # enqueues the delivery later; the sender still gets its 2xx.
    transaction.on_commit(partial(process_delivery.delay, delivery.id), robust=True)
    return delivery, True


def deliveries_replay(*, deliveries: QuerySet[Delivery], enqueue: bool = True) -> int:
    """Puts finished deliveries back to pending and enqueues them; returns how many were replayed.

    Applying a delivery is idempotent, so replaying a processed one changes nothing; replaying a failed or
    ignored one applies it with today's code and catalog (a repository added to a service since, a bug fixed).
    """
    from accountability.ingest.tasks import process_delivery

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
        for delivery_id in ids if enqueue else ():
            transaction.on_commit(partial(process_delivery.delay, delivery_id), robust=True)
    return len(ids)


# Headers that carry credentials are read for verification but never stored with the delivery.
_UNSTORED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", PULLED_HEADER})


@dataclass(frozen=True)
class Receipt:
    delivery: Delivery
    created: bool


def delivery_receive(*, source: Source, headers: dict[str, str], body: bytes) -> Receipt:
    """A webhook delivery, from raw request to stored row.

    1. Verify the signature over the raw body, before anything reads it (SignatureError: nothing is stored).
    2. Parse it and find its delivery id and event type. Input that cannot be understood is stored as
       failed with the reason (nothing is lost, an admin can see what was sent) and PayloadError re-raised.
    3. Store it (INSERT … ON CONFLICT) and enqueue its processing once committed.
    """
    # Imported here: adapters import this module's delivery_store (pull jobs), so not at module level.
    from accountability.ingest.adapters import ADAPTERS
    from accountability.ingest.adapters.payload import body_digest

    adapter = ADAPTERS[source.kind]
    headers = {name.lower(): value for name, value in headers.items()}
    adapter.verify(source=source, headers=headers, body=body)
    stored_headers = {name: value for name, value in headers.items() if name not in _UNSTORED_HEADERS}
    try:
        payload = adapter.parse(body=body, headers=headers)
        external_id, event_type = adapter.identify(payload=payload, headers=headers, body=body)
    except PayloadError as problem:
        delivery_store_rejected(
            source=source,
            external_id=headers.get("x-github-delivery", "")[:200] or body_digest(body),
            headers=stored_headers,
            body=body,
            error=str(problem),
        )
        raise
    delivery, created = delivery_store(
        source=source, external_id=external_id, event_type=event_type, headers=stored_headers, body=body
    )
    return Receipt(delivery=delivery, created=created)


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


WEBHOOK_KINDS = (Source.Kind.GITHUB, Source.Kind.PAGERDUTY, Source.Kind.CDEVENTS)

# Enabled webhook sources by (kind, name), kept per process for a few seconds: reading the row (and decrypting
# its secret) was a third of the receiver's CPU at 500 deliveries/s. What a stale entry can do is bounded: a
# secret changed since is tried against the database's before a 401 (source_receiving(fresh=True)); a source
# saved or deleted in this process is forgotten at once (IngestConfig.ready); one disabled in another
# process still receives for at most this long.
SOURCE_CACHE_SECONDS = 5.0
_receiving: dict[tuple[str, str], tuple[float, Source]] = {}


def source_receiving(*, kind: str, name: str, fresh: bool = False) -> Source | None:
    """The enabled source of that kind and name, or None (never remembered, so a new source works at once)."""
    now = time.monotonic()
    kept = _receiving.get((kind, name))
    if kept is not None and not fresh and kept[0] > now:
        return kept[1]
    source = Source.objects.filter(kind=kind, name=name, enabled=True).first()
    if source is None:
        _receiving.pop((kind, name), None)
    else:
        _receiving[kind, name] = (now + SOURCE_CACHE_SECONDS, source)
    return source


def sources_forget(**kwargs) -> None:
    """Drops every kept source; connected to Source's post_save and post_delete."""
    _receiving.clear()


def source_create(*, kind: str, name: str, secret: str = "", token: str = "", url: str = "") -> Source:
    """A new source. A webhook source given no secret gets a random one: without it, it would refuse all."""
    if kind in WEBHOOK_KINDS and not secret:
        secret = secrets.token_urlsafe(32)
    source = Source(kind=kind, name=name, secret=secret, token=token, url=url)
    source.full_clean()
    source.save()
    return source


def source_receiver_path(*, source: Source) -> str | None:
    """The path senders post to, for webhook sources; None for pulled ones."""
    if source.kind not in WEBHOOK_KINDS:
        return None
    return reverse(f"ingest:receive-{source.kind}", kwargs={"name": source.name})
