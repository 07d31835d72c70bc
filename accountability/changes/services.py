"""User actions on changes: signing off and revoking, each written to the ledger and the audit log."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accountability.audit.services import audit_record
from accountability.catalog.models import Person
from accountability.changes.ledger import signoff_append
from accountability.changes.models import Change, SignOff


def signoff_submit(
    *,
    change: Change,
    user: AbstractBaseUser,
    signer: Person,
    decision: str,
    read_ai_parts: bool,
    understood_blast_radius: bool,
    rollback_ready: bool,
    on_call_through_bake: bool,
    delegate: Person | None,
    note: str,
    override_reason: str,
    policy_decision: str,
    policy_version: int | None,
    ip_address: str | None = None,
) -> SignOff:
    """Append the owner's decision to the ledger and audit it, together or not at all.

    Raises `SignOffRefused` (from the ledger) when the entry is not acceptable, e.g. approving a
    change the policy denies without an override reason.
    """
    with transaction.atomic():
        signoff = signoff_append(
            change=change,
            signer=signer,
            decision=decision,
            read_ai_parts=read_ai_parts,
            understood_blast_radius=understood_blast_radius,
            rollback_ready=rollback_ready,
            on_call_through_bake=on_call_through_bake,
            delegate=delegate,
            note=note,
            override_reason=override_reason,
            policy_decision=policy_decision,
            policy_version=policy_version,
        )
        audit_record(
            actor=user,
            action=f"signoff.{decision}",
            obj=signoff,
            detail={
                "change": change.pk,
                "policy_decision": policy_decision,
                "policy_version": policy_version,
                "override": bool(override_reason.strip()),
            },
            ip_address=ip_address,
        )
    return signoff


def signoff_revoke(
    *,
    change: Change,
    user: AbstractBaseUser,
    signer: Person,
    approval: SignOff,
    note: str,
    ip_address: str | None = None,
) -> SignOff:
    """Revoke an approval with a later ledger entry (nothing is edited) and audit it."""
    with transaction.atomic():
        signoff = signoff_append(
            change=change, signer=signer, decision=SignOff.Decision.REVOKE, revokes=approval, note=note
        )
        audit_record(
            actor=user,
            action="signoff.revoke",
            obj=signoff,
            detail={"change": change.pk, "revokes": approval.pk},
            ip_address=ip_address,
        )
    return signoff
