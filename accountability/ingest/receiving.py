"""Receiving: a sender's request verified and parsed by its source's module, then stored; the sources that
receive, kept a few seconds per process."""

import secrets
import time
from dataclasses import dataclass

from django.urls import reverse

from accountability.ingest.errors import PayloadError
from accountability.ingest.models import PULLED_HEADER, Delivery, Source
from accountability.ingest.payload import body_digest
from accountability.ingest.services import delivery_store, delivery_store_rejected
from accountability.ingest.sources import SOURCES, WEBHOOK_KINDS

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
    adapter = SOURCES[source.kind]
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
