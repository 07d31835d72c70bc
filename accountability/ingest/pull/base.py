"""What every pull job shares: storing a pulled item as a Delivery, and saving its cursor as it goes."""

import hashlib
import json

from accountability.ingest.models import Source


def item_store(
    *, source: Source, external_id: str, event_type: str, headers: dict, body: dict | bytes
) -> bool:
    """Store one pulled item exactly like a pushed delivery; True when it was new."""
    # Imported here: the ingest services import the adapters, some of which use the pull modules.
    from accountability.ingest.services import delivery_store

    raw = (
        body if isinstance(body, bytes) else json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )
    _, created = delivery_store(
        source=source,
        external_id=external_id[:200],
        event_type=event_type[:200],
        headers={"x-accountability-pulled": "1", **headers},
        body=raw,
    )
    return created


def cursor_save(source: Source, cursor: dict) -> None:
    """Persist the position now, so a failure later in the run resumes from here."""
    source.cursor = cursor
    Source.objects.filter(pk=source.pk).update(cursor=cursor)


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def file_delivery_apply(
    *, kind: str, source_name: str, event_type: str, headers: dict, body: bytes, scope: str = ""
):
    """Store a file read from disk as a delivery of a `kind` source, and apply it now (import commands).

    The file takes the path every outside write takes; its digest (with `scope`, e.g. the repository it is
    for) is the external id, so importing the same file again finds the stored delivery instead of applying
    it twice.
    """
    from accountability.ingest.models import Delivery
    from accountability.ingest.processing import delivery_process
    from accountability.ingest.services import delivery_store

    source, _ = Source.objects.get_or_create(name=source_name, defaults={"kind": kind})
    delivery, created = delivery_store(
        source=source,
        external_id=f"file:{digest(scope.encode() + b'\n' + body)}",
        event_type=event_type,
        headers={"x-accountability-file": "1", **headers},
        body=body,
    )
    if created or delivery.status == Delivery.Status.PENDING:
        delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    return delivery, created
