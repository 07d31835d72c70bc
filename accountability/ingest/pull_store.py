"""What every pull job shares: storing a pulled item as a Delivery, and saving its cursor as it goes."""

import hashlib
import json

from accountability.ingest.models import Source
from accountability.ingest.services import delivery_store


def item_store(
    *, source: Source, external_id: str, event_type: str, headers: dict, body: dict | bytes
) -> bool:
    """Store one pulled item exactly like a pushed delivery; True when it was new."""
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
