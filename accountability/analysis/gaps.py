"""Ownership gaps (DESIGN §9): where nobody is accountable, found by scans and kept as a lifecycle.

A scan produces findings; reconciling them with the stored gaps of the same scope opens new gaps,
keeps open ones (last_seen moves on, the sentence is refreshed) and resolves the ones no longer
found. Acknowledging a gap records who and why; it stays visible and open until the cause is gone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accountability.analysis.bulk import update_copy
from accountability.analysis.gap_findings import (
    CHANGE_BATCH,
    CHANGE_CODES,
    SERVICE_CODES,
    TEAM_CODES,
    Finding,
    change_findings,
    production_changes,
    service_findings,
    team_findings,
)
from accountability.analysis.models import Gap
from accountability.audit.services import audit_record
from accountability.catalog.models import Service, Team
from accountability.notify.triggers import new_gaps_notify


@dataclass(frozen=True, slots=True)
class ScanSummary:
    opened: int
    kept: int
    resolved: int


# --- the lifecycle -----------------------------------------------------------------------------


@transaction.atomic
def gaps_reconcile(*, findings: list[Finding], scope: Q, now: datetime) -> ScanSummary:
    """Brings the stored gaps within `scope` in line with `findings`.

    1. Lock the open gaps of the scope and index them by (code, subject).
    2. A finding with an open gap keeps it: last_seen = now, sentence and severity refreshed.
    3. A finding without one opens a gap (first_seen = last_seen = now); high-severity ones are told to
       their teams (notify).
    4. An open gap of the scope that no finding matches is resolved (resolved_at = now).
    """
    open_gaps = {
        (gap.code, gap.service_id, gap.team_id, gap.change_id, gap.person_id, gap.repository): gap
        for gap in Gap.objects.select_for_update().filter(scope, resolved_at__isnull=True)
    }
    seen, kept, new = set(), [], []
    for found in findings:
        if found.key in seen:
            continue
        seen.add(found.key)
        gap = open_gaps.get(found.key)
        if gap is not None:
            gap.last_seen = now
            gap.sentence = found.sentence
            gap.severity = found.severity
            gap.accountable_team_id = found.accountable_team_id
            kept.append(gap)
        else:
            new.append(
                Gap(
                    code=found.code,
                    severity=found.severity,
                    service_id=found.service_id,
                    team_id=found.team_id,
                    change_id=found.change_id,
                    person_id=found.person_id,
                    repository=found.repository,
                    accountable_team_id=found.accountable_team_id,
                    sentence=found.sentence,
                    first_seen=now,
                    last_seen=now,
                )
            )
    # bulk_update builds a CASE per row and field; COPY and one UPDATE … FROM is far cheaper.
    update_copy(
        table=Gap._meta.db_table,
        columns=["id", "last_seen", "sentence", "severity", "accountable_team_id"],
        rows=((gap.id, now, gap.sentence, gap.severity, gap.accountable_team_id) for gap in kept),
    )
    Gap.objects.bulk_create(new, batch_size=1000)
    new_gaps_notify(gaps=new)
    gone = [gap.id for key, gap in open_gaps.items() if key not in seen]
    Gap.objects.filter(id__in=gone).update(resolved_at=now)
    return ScanSummary(opened=len(new), kept=len(kept), resolved=len(gone))


def _services_for_scan():
    return Service.objects.select_related("owner_team", "owner_of_record").order_by("id")


def gaps_scan_service(*, service_id: int, now: datetime | None = None) -> ScanSummary:
    """Targeted rescan of one service's own gaps (after its owner, team or CODEOWNERS changed)."""
    now = now or timezone.now()
    services = list(_services_for_scan().filter(id=service_id))
    findings = service_findings(services=services, now=now)
    return gaps_reconcile(findings=findings, scope=Q(service_id=service_id, code__in=SERVICE_CODES), now=now)


def gaps_scan_team(*, team_id: int, now: datetime | None = None) -> ScanSummary:
    now = now or timezone.now()
    findings = team_findings(teams=list(Team.objects.filter(id=team_id)), now=now)
    return gaps_reconcile(findings=findings, scope=Q(team_id=team_id, code__in=TEAM_CODES), now=now)


def gaps_scan_change(*, change_id: int, now: datetime | None = None) -> ScanSummary:
    """Targeted rescan of one change (after a sign-off, evidence, plan or deployment of it)."""
    now = now or timezone.now()
    findings = change_findings(change_ids=[change_id], now=now)
    return gaps_reconcile(findings=findings, scope=Q(change_id=change_id, code__in=CHANGE_CODES), now=now)


def gaps_scan_all(*, now: datetime | None = None, change_days: int | None = None) -> ScanSummary:
    """The periodic full scan.

    1. Services: every service, in one pass (five queries), reconciled over all service gaps.
    2. Teams: every team owning a tier 1-2 service, reconciled over all team gaps.
    3. Changes deployed to production in the recent window (ANALYSIS_RECENT_CHANGE_DAYS), in
       batches; reconciled over the gaps of those changes only, so gaps of older changes stay as
       they were until a targeted rescan looks at them again.
    4. Repositories no service claims (analysis/unclaimed.py), replaying those claimed since.
    """
    now = now or timezone.now()
    totals = [
        gaps_reconcile(
            findings=service_findings(services=list(_services_for_scan()), now=now),
            scope=Q(code__in=SERVICE_CODES),
            now=now,
        )
    ]
    totals.append(
        gaps_reconcile(
            findings=team_findings(teams=list(Team.objects.all()), now=now),
            scope=Q(code__in=TEAM_CODES),
            now=now,
        )
    )
    days = change_days if change_days is not None else settings.ANALYSIS_RECENT_CHANGE_DAYS
    change_ids = list(
        production_changes(since=now - timedelta(days=days)).order_by().values_list("id", flat=True)
    )
    for start in range(0, len(change_ids), CHANGE_BATCH):
        batch = change_ids[start : start + CHANGE_BATCH]
        findings = change_findings(change_ids=batch, now=now)
        totals.append(
            gaps_reconcile(findings=findings, scope=Q(change_id__in=batch, code__in=CHANGE_CODES), now=now)
        )
    from accountability.analysis.unclaimed import gaps_scan_unclaimed

    totals.append(gaps_scan_unclaimed(now=now))
    return ScanSummary(
        opened=sum(total.opened for total in totals),
        kept=sum(total.kept for total in totals),
        resolved=sum(total.resolved for total in totals),
    )


def gap_acknowledge(*, gap: Gap, user: AbstractBaseUser, note: str, ip_address: str | None = None) -> Gap:
    """Records that someone saw the gap and why it is acceptable for now; it stays visible and open."""
    note = note.strip()
    if not note:
        raise ValueError("Acknowledging a gap needs a note saying why.")
    with transaction.atomic():
        gap.acknowledged_by = user
        gap.acknowledged_by_person = getattr(user, "person", None)
        gap.acknowledged_at = timezone.now()
        gap.acknowledgement_note = note
        gap.save(
            update_fields=[
                "acknowledged_by",
                "acknowledged_by_person",
                "acknowledged_at",
                "acknowledgement_note",
            ]
        )
        audit_record(
            actor=user,
            action="gap.acknowledge",
            obj=gap,
            detail={"code": gap.code, "note": note, "person": gap.acknowledged_by_person_id},
            ip_address=ip_address,
        )
    return gap
