"""The sign-off ledger: append-only and hash-chained, so any later edit of an entry is detectable.

Each entry stores `prev_hash` (the hash of the entry before it, or GENESIS_HASH for the first) and
`hash = sha256(prev_hash + canonical JSON of its content)`. Changing any content field of any entry,
deleting one, or reordering them breaks the chain at that entry, which `ledger_verify` reports.
The database refuses UPDATE and DELETE on the table (trigger `signoff_append_only`), so this module
only ever inserts.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accountability.catalog.models import Person
from accountability.changes.checkpoints import (
    Head,
    head_is_signed,
    ledger_checkpoint_write,
    ledger_heads_known,
)
from accountability.changes.models import Change, SignOff
from accountability.followups import gate_schedule_for_change

GENESIS_HASH = "0" * 64

# Appends are serialised on this PostgreSQL advisory lock: two concurrent appends must not both read
# the same last hash, or the chain would fork (the unique constraint on prev_hash would then refuse
# the second, but waiting is kinder than failing). The number only has to be fixed and ours.
LEDGER_LOCK_KEY = 0x5160FF  # "signoff"

POLICY_DECISIONS = ("", "allow", "warn", "deny")

# How the signer authenticated: hashed only when recorded (see signoff_content).
AUTH_FIELDS = ("auth_method", "auth_at", "auth_provider", "auth_amr", "auth_acr")

# The fields a hash covers, in the order of the canonical JSON (keys are sorted anyway).
CONTENT_FIELDS = (
    "change_id",
    "signer_id",
    "decision",
    "revokes_id",
    "read_ai_parts",
    "understood_blast_radius",
    "rollback_ready",
    "on_call_through_bake",
    "delegate_id",
    "note",
    "override_reason",
    "policy_decision",
    "policy_version",
    "created_at",
    *AUTH_FIELDS,
)


class SignOffRefused(ValueError):
    """The requested sign-off is not a valid ledger entry; the message says why."""


@dataclass(frozen=True)
class LedgerVerification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def signoff_content(*, values: dict[str, Any]) -> dict[str, Any]:
    """The hashed content of an entry, from a dict holding CONTENT_FIELDS (a `.values()` row).

    `created_at` is normalised to UTC ISO 8601 so the hash does not depend on the time zone the
    value happened to be read or written in. The signer's authentication is covered once recorded.
    """
    content = {field: values.get(field) for field in CONTENT_FIELDS}
    content["created_at"] = values["created_at"].astimezone(UTC).isoformat()
    if content["auth_method"]:
        content["auth_at"] = content["auth_at"].astimezone(UTC).isoformat() if content["auth_at"] else None
    else:
        # Entries from before sign-ins were recorded hash as they always did, so the chain still verifies.
        for field in AUTH_FIELDS:
            content.pop(field)
    return content


def signoff_hash(*, prev_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def approval_in_force(*, change: Change, signer: Person) -> SignOff | None:
    """The signer's approval of this change that no later entry revoked, if there is one."""
    revoked = SignOff.objects.filter(change=change, revokes__isnull=False).values("revokes_id")
    return (
        SignOff.objects.filter(change=change, signer=signer, decision=SignOff.Decision.APPROVE)
        .exclude(pk__in=revoked)
        .order_by("-id")
        .first()
    )


def signoff_append(
    *,
    change: Change,
    signer: Person,
    decision: str,
    read_ai_parts: bool = False,
    understood_blast_radius: bool = False,
    rollback_ready: bool = False,
    on_call_through_bake: bool = False,
    delegate: Person | None = None,
    note: str = "",
    override_reason: str = "",
    policy_decision: str = "",
    policy_version: int | None = None,
    revokes: SignOff | None = None,
    at: datetime | None = None,
    auth: dict[str, Any] | None = None,
) -> SignOff:
    """Append one sign-off to the ledger and return it.

    1. Validate the entry on its own (decision, revoke target, override reason); raise SignOffRefused.
    2. In a transaction, take the ledger's advisory lock so appends happen one at a time.
    3. Under the lock, check what depends on other entries (a revoke target not already revoked, no
       second approval by a signer whose first is still in force).
    4. Read the last entry's hash (GENESIS_HASH for an empty ledger) and hash the new content onto it.
    5. Insert the entry; the lock is released when the transaction commits.

    Who may sign (owner of record, owning team) is a permission question answered by the caller, and so
    is how recently the signer authenticated; `auth` records that authentication (AUTH_FIELDS).
    """
    if decision not in SignOff.Decision.values:
        raise SignOffRefused(f"Unknown decision {decision!r}: use approve, reject or revoke.")
    if policy_decision not in POLICY_DECISIONS:
        raise SignOffRefused(f"Unknown policy decision {policy_decision!r}: use allow, warn or deny.")
    if decision == SignOff.Decision.REVOKE:
        if revokes is None:
            raise SignOffRefused("A revoke must name the approval it revokes.")
        if revokes.change_id != change.pk:
            raise SignOffRefused("A revoke must name an approval of the same change.")
        if revokes.decision != SignOff.Decision.APPROVE:
            raise SignOffRefused("Only an approval can be revoked.")
    elif revokes is not None:
        raise SignOffRefused("Only a revoke may name an earlier sign-off.")
    if decision == SignOff.Decision.APPROVE and policy_decision == "deny" and not override_reason.strip():
        raise SignOffRefused("Approving a change the policy denies needs a written override reason.")
    if delegate is not None and delegate.pk == signer.pk:
        raise SignOffRefused("A delegate must be someone other than the signer.")

    created_at = at if at is not None else timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])
        if revokes is not None and SignOff.objects.filter(revokes=revokes).exists():
            raise SignOffRefused("That approval has already been revoked.")
        if (
            decision == SignOff.Decision.APPROVE
            and approval_in_force(change=change, signer=signer) is not None
        ):
            # A second approval would add nothing but a second entry to count; revoke the first to re-sign.
            raise SignOffRefused(
                f"{signer.name} already has an approval in force for this change: revoke it to sign again."
            )
        prev_hash = SignOff.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
        signoff = SignOff(
            change=change,
            signer=signer,
            decision=decision,
            revokes=revokes,
            read_ai_parts=read_ai_parts,
            understood_blast_radius=understood_blast_radius,
            rollback_ready=rollback_ready,
            on_call_through_bake=on_call_through_bake,
            delegate=delegate,
            note=note,
            override_reason=override_reason,
            policy_decision=policy_decision,
            policy_version=policy_version,
            created_at=created_at,
            prev_hash=prev_hash,
            **{field: value for field, value in (auth or {}).items() if field in AUTH_FIELDS},
        )
        values = {field: getattr(signoff, field) for field in CONTENT_FIELDS}
        signoff.hash = signoff_hash(prev_hash=prev_hash, content=signoff_content(values=values))
        signoff.save(force_insert=True)
        ledger_checkpoint_write(signoff=signoff)
        # A GitHub deployment held by the gate for this change may be allowed now (enqueued on commit).
        gate_schedule_for_change(change.pk)
    return signoff


def ledger_verify(*, checkpoint: Head | None = None) -> LedgerVerification:
    """Recompute the whole chain in id order and hold it against the signed checkpoints.

    1. Stream the entries in id order (the order they were appended under the lock).
    2. Each entry's prev_hash must equal the previous entry's stored hash (GENESIS_HASH first);
       a mismatch means an entry before it was removed or the chain was rewritten.
    3. Each entry's stored hash must equal the hash recomputed from its content; a mismatch
       means this entry was edited.
    4. Every copy of the newest checkpoint (its table, the audit log, `checkpoint` from a monitor) must be
       signed with LEDGER_CHECKPOINT_KEY, and the chain must hold its entry, with its hash, at its position:
       otherwise the tail was deleted, the table emptied, or the history re-chained. Entries after the
       newest checkpoint were not appended by the app (every append writes one in its transaction).
    """
    expected_prev = GENESIS_HASH
    checked = 0
    seen: dict[int, tuple[str, int]] = {}
    heads = ledger_heads_known(extra=checkpoint)
    wanted = {head.entry_id for head in heads}
    last_id = None
    rows = SignOff.objects.order_by("id").values("id", "prev_hash", "hash", *CONTENT_FIELDS)
    for row in rows.iterator(chunk_size=2000):
        checked += 1
        if row["prev_hash"] != expected_prev:
            return LedgerVerification(
                ok=False,
                checked=checked,
                first_broken_id=row["id"],
                reason="its prev_hash does not match the hash of the entry before it",
            )
        recomputed = signoff_hash(prev_hash=row["prev_hash"], content=signoff_content(values=row))
        if recomputed != row["hash"]:
            return LedgerVerification(
                ok=False,
                checked=checked,
                first_broken_id=row["id"],
                reason="its content does not match its hash (the entry was altered)",
            )
        if row["id"] in wanted:
            seen[row["id"]] = (row["hash"], checked)
        expected_prev = row["hash"]
        last_id = row["id"]
    return _against_checkpoints(heads=heads, seen=seen, checked=checked, last_id=last_id)


def _against_checkpoints(
    *, heads: list[Head], seen: dict[int, tuple[str, int]], checked: int, last_id: int | None
) -> LedgerVerification:
    for head in heads:
        if not head_is_signed(head):
            return LedgerVerification(
                ok=False, checked=checked, reason="a ledger checkpoint's signature does not verify (forged)"
            )
    if not heads:
        return LedgerVerification(ok=True, checked=checked)
    newest = max(heads, key=lambda head: (head.entries, head.entry_id))
    for head in sorted(heads, key=lambda head: -head.entries):
        if head.entry_id not in seen:
            return LedgerVerification(
                ok=False,
                checked=checked,
                first_broken_id=head.entry_id,
                reason=f"the signed checkpoint's entry #{head.entry_id} of {head.entries} is missing: the "
                "ledger's newest entries were deleted or the table emptied",
            )
        entry_hash, position = seen[head.entry_id]
        if entry_hash != head.entry_hash or position != head.entries:
            return LedgerVerification(
                ok=False,
                checked=checked,
                first_broken_id=head.entry_id,
                reason=f"entry #{head.entry_id} differs from the signed checkpoint: the history before it "
                "was rewritten and re-chained",
            )
    if last_id is not None and last_id != newest.entry_id:
        return LedgerVerification(
            ok=False,
            checked=checked,
            first_broken_id=newest.entry_id,
            reason=f"{checked - newest.entries} entries after the newest signed checkpoint were not appended "
            "by the application",
        )
    return LedgerVerification(ok=True, checked=checked)


def signoffs_standing(signoffs: Iterable[SignOff]) -> list[SignOff]:
    """The approvals among a change's ledger entries that no other entry revoked: the standing approvals.

    The one statement of the rule in Python (over entries already loaded, so a page asks no more queries);
    migration 0005's trigger keeps Change.approved by the same rule in SQL, and a test holds the two together.
    """
    signoffs = list(signoffs)
    revoked = {entry.revokes_id for entry in signoffs if entry.revokes_id}
    return [
        entry for entry in signoffs if entry.decision == SignOff.Decision.APPROVE and entry.id not in revoked
    ]
