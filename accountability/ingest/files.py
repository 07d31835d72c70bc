"""Files read from disk (the import commands) take the path every outside write takes: a stored delivery."""

from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.pull_store import digest
from accountability.ingest.services import delivery_store


def file_delivery_apply(
    *, kind: str, source_name: str, event_type: str, headers: dict, body: bytes, scope: str = ""
):
    """Store a file read from disk as a delivery of a `kind` source, and apply it now (import commands).

    The file takes the path every outside write takes; its digest (with `scope`, e.g. the repository it is
    for) is the external id, so importing the same file again finds the stored delivery instead of applying
    it twice.
    """
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
