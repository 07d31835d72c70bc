"""The commander's verdicts on suspects as the incident page records them: credited to the person, written
to the incident's timeline, and undoable.

The verdict itself is `suspect_confirm` / `suspect_rule_out` (audited, re-ranking the open incidents that list
the change); `suspect_verdict_record` adds what the page promises around it, in the same transaction.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accountability.audit.services import audit_record
from accountability.followups import analysis_schedule_for_incident, analysis_schedule_metrics
from accountability.incidents.models import Incident, IncidentEvent, SuspectChange

# Timeline kinds written here; the glossary gives their labels.
KIND_CONFIRMED = "suspect_confirmed"
KIND_RULED_OUT = "suspect_ruled_out"
KIND_UNDONE = "suspect_verdict_undone"


def judge_name(user: AbstractBaseUser | None) -> str:
    """The person behind a user account (accountability is a person), else the account's name."""
    if user is None:
        return "someone"
    person = getattr(user, "person", None)
    if person is not None:
        return person.name
    return user.get_full_name() or user.get_username()


def _verdict(
    *, suspect: SuspectChange, verdict: str, user: AbstractBaseUser, note: str, ip_address: str | None
):
    with transaction.atomic():
        previous = suspect.verdict
        suspect.verdict = verdict
        suspect.verdict_by = user
        suspect.verdict_at = timezone.now()
        suspect.verdict_note = note.strip()
        suspect.save(update_fields=["verdict", "verdict_by", "verdict_at", "verdict_note"])
        audit_record(
            actor=user,
            action=f"suspect.{verdict}",
            obj=suspect,
            detail={
                "incident": suspect.incident_id,
                "change": suspect.change_id,
                "previous": previous,
                "note": suspect.verdict_note,
            },
            ip_address=ip_address,
        )
        # Confirmed causes count as failed deployments: the delivery metrics must follow.
        analysis_schedule_metrics()
        # A verdict re-ranks at once the open incidents that list this change (DESIGN §12): a change
        # confirmed as one incident's cause is a known-bad change for the others it is near.
        others = SuspectChange.objects.filter(change_id=suspect.change_id).exclude(
            incident__status=Incident.Status.RESOLVED
        )
        for incident_id in {suspect.incident_id, *others.values_list("incident_id", flat=True)}:
            analysis_schedule_for_incident(incident_id)
    return suspect


def suspect_confirm(
    *, suspect: SuspectChange, user: AbstractBaseUser, note: str = "", ip_address: str | None = None
) -> SuspectChange:
    """Records the commander's verdict that this change caused the incident (it feeds failure rates)."""
    return _verdict(
        suspect=suspect, verdict=SuspectChange.Verdict.CONFIRMED, user=user, note=note, ip_address=ip_address
    )


def suspect_rule_out(
    *, suspect: SuspectChange, user: AbstractBaseUser, note: str = "", ip_address: str | None = None
) -> SuspectChange:
    return _verdict(
        suspect=suspect, verdict=SuspectChange.Verdict.RULED_OUT, user=user, note=note, ip_address=ip_address
    )


def _change_words(suspect: SuspectChange) -> str:
    # No "service@sha" here: the suspect ranking reads that pattern in timeline notes as a mention.
    change = suspect.change
    title = change.title or "(untitled change)"
    return f"#{suspect.rank} “{title[:120]}” ({change.sha[:8]})"


def suspect_verdict_record(
    *,
    suspect: SuspectChange,
    verdict: str,
    user: AbstractBaseUser,
    note: str = "",
    ip_address: str | None = None,
) -> SuspectChange:
    """Confirm or rule out a suspect, and say so on the incident's timeline under the judge's name."""
    judge = suspect_confirm if verdict == SuspectChange.Verdict.CONFIRMED else suspect_rule_out
    with transaction.atomic():
        suspect = judge(suspect=suspect, user=user, note=note, ip_address=ip_address)
        confirmed = verdict == SuspectChange.Verdict.CONFIRMED
        summary = f"{_change_words(suspect)} {'confirmed as the cause' if confirmed else 'ruled out'}"
        IncidentEvent.objects.create(
            incident_id=suspect.incident_id,
            at=suspect.verdict_at,
            kind=KIND_CONFIRMED if confirmed else KIND_RULED_OUT,
            summary=f"{summary}: {suspect.verdict_note}" if suspect.verdict_note else f"{summary}.",
            actor=judge_name(user),
        )
    return suspect


def suspect_verdict_undo(
    *, suspect: SuspectChange, user: AbstractBaseUser, ip_address: str | None = None
) -> SuspectChange:
    """Take a verdict back: the suspect is open again; the audit log and the timeline keep what happened."""
    with transaction.atomic():
        previous = suspect.verdict
        if previous == SuspectChange.Verdict.NONE:
            return suspect
        suspect.verdict = SuspectChange.Verdict.NONE
        suspect.verdict_by = None
        suspect.verdict_at = None
        suspect.verdict_note = ""
        suspect.save(update_fields=["verdict", "verdict_by", "verdict_at", "verdict_note"])
        audit_record(
            actor=user,
            action="suspect.undo",
            obj=suspect,
            detail={"incident": suspect.incident_id, "change": suspect.change_id, "previous": previous},
            ip_address=ip_address,
        )
        label = "confirmed cause" if previous == SuspectChange.Verdict.CONFIRMED else "ruled out"
        IncidentEvent.objects.create(
            incident_id=suspect.incident_id,
            at=timezone.now(),
            kind=KIND_UNDONE,
            summary=f"{_change_words(suspect)}: the verdict “{label}” was undone.",
            actor=judge_name(user),
        )
        # A confirmed cause counted as a failure: the delivery metrics must follow.
        analysis_schedule_metrics()
    return suspect
