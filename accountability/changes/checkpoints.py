"""Signed checkpoints of the sign-off ledger's head (audit.LedgerCheckpoint), written on every append.

The hash chain alone cannot show that its newest entries were deleted, that its history was rewritten and
every later hash recomputed, or that the table was emptied: each of those leaves a chain that fits. A
checkpoint signs (entry id, entries so far, entry hash) with LEDGER_CHECKPOINT_KEY from the environment,
and is kept in three places the ledger's table is not: its own append-only table, the audit log, and
whatever monitor polls GET /api/v1/ledger/checkpoint (and can hand its copy to `verify_ledger --checkpoint`).
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from accountability.audit.models import AuditEvent, LedgerCheckpoint
from accountability.changes.models import SignOff

ACTION = "ledger.checkpoint"


@dataclass(frozen=True)
class Head:
    """A checkpoint as any copy of it says: the table, the audit log, or a monitor."""

    entry_id: int
    entries: int
    entry_hash: str
    signature: str

    def as_text(self) -> str:
        return f"{self.entry_id}:{self.entries}:{self.entry_hash}:{self.signature}"


def checkpoint_signature(*, entry_id: int, entries: int, entry_hash: str) -> str:
    message = f"signoff-ledger:{entry_id}:{entries}:{entry_hash}".encode()
    return hmac.new(settings.LEDGER_CHECKPOINT_KEY.encode(), message, hashlib.sha256).hexdigest()


def head_is_signed(head: Head) -> bool:
    expected = checkpoint_signature(entry_id=head.entry_id, entries=head.entries, entry_hash=head.entry_hash)
    return hmac.compare_digest(expected, head.signature)


def head_parse(text: str) -> Head:
    """`id:entries:hash:signature`, as `Head.as_text` writes it; ValueError otherwise."""
    entry_id, entries, entry_hash, signature = text.strip().split(":")
    return Head(int(entry_id), int(entries), entry_hash, signature)


def ledger_checkpoint_write(*, signoff: SignOff) -> LedgerCheckpoint:
    """Sign the ledger's head after `signoff` was appended; called under the ledger's lock, in its
    transaction, so a checkpoint exists exactly when its entry does."""
    previous = LedgerCheckpoint.objects.order_by("-id").first()
    if previous is not None and previous.entry_hash == signoff.prev_hash:
        entries = previous.entries + 1
    else:  # the first checkpoint of a ledger (or after one written without): count once
        entries = SignOff.objects.filter(id__lte=signoff.id).count()
    signature = checkpoint_signature(entry_id=signoff.id, entries=entries, entry_hash=signoff.hash)
    checkpoint = LedgerCheckpoint.objects.create(
        entry_id=signoff.id, entries=entries, entry_hash=signoff.hash, signature=signature, at=timezone.now()
    )
    AuditEvent.objects.create(
        actor_label="ledger",
        action=ACTION,
        object_type="changes.signoff",
        object_id=str(signoff.id),
        detail={
            "entry_id": signoff.id,
            "entries": entries,
            "entry_hash": signoff.hash,
            "signature": signature,
        },
    )
    return checkpoint


def ledger_heads_known(*, extra: Head | None = None) -> list[Head]:
    """Every copy of the newest checkpoint we can find: the table's, the audit log's, and the caller's."""
    heads = []
    latest = LedgerCheckpoint.objects.order_by("-id").first()
    if latest is not None:
        heads.append(Head(latest.entry_id, latest.entries, latest.entry_hash, latest.signature))
    logged = AuditEvent.objects.filter(action=ACTION).order_by("-id").values_list("detail", flat=True).first()
    if logged:
        try:
            heads.append(
                Head(
                    int(logged["entry_id"]), int(logged["entries"]), logged["entry_hash"], logged["signature"]
                )
            )
        except (KeyError, TypeError, ValueError):
            heads.append(Head(0, 0, "", ""))  # a mangled copy: reported as unsigned
    if extra is not None:
        heads.append(extra)
    return heads


def ledger_checkpoint_latest() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-id").first()
