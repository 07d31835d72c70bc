"""User actions on changes: signing off and revoking, each written to the ledger and the audit log."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accountability.analysis.policy import policy_evaluate
from accountability.audit.services import audit_record
from accountability.catalog.models import Person
from accountability.changes.ledger import signoff_append
from accountability.changes.models import Change, SignOff
from accountability.followups import analysis_schedule_for_change

# The controls a sign-off itself satisfies: before signing they fail by definition, so they do not
# count towards whether the owner must write an override reason.
SIGNOFF_CONTROLS = frozenset({"owner_signed_off", "signer_accountable"})


@dataclass(frozen=True)
class SigningPolicy:
    decision: str
    version: int
    failures: list


def signoff_policy(*, change: Change) -> SigningPolicy:
    """The production policy as it stands for the person about to sign: evaluated now, without the
    controls that their own sign-off satisfies."""
    evaluation = policy_evaluate(change=change, environment="production")
    failures = [control for control in evaluation.failures if control.code not in SIGNOFF_CONTROLS]
    if any(control.requirement == "required" for control in failures):
        decision = "deny"
    elif failures:
        decision = "warn"
    else:
        decision = "allow"
    return SigningPolicy(decision=decision, version=evaluation.policy_version, failures=failures)


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
    ip_address: str | None = None,
    auth: dict | None = None,
) -> SignOff:
    """Append the owner's decision to the ledger and audit it, together or not at all.

    1. Evaluate the policy now (minus the sign-off's own controls) and record decision and version.
    2. Append to the ledger, which refuses an approval of a denied change without an override
       reason (`SignOffRefused`), then write the audit event in the same transaction.
    3. On commit, have the analysis recompute the change's policy result, risk and gaps.
    """
    policy = signoff_policy(change=change)
    policy_decision, policy_version = policy.decision, policy.version
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
            auth=auth,
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
                "auth_method": (auth or {}).get("auth_method", ""),
            },
            ip_address=ip_address,
        )
        analysis_schedule_for_change(change.pk)
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
        analysis_schedule_for_change(change.pk)
    return signoff
