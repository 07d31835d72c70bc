"""Ownership gaps (DESIGN §9): where nobody is accountable, found by scans and kept as a lifecycle.

A scan produces findings; reconciling them with the stored gaps of the same scope opens new gaps,
keeps open ones (last_seen moves on, the sentence is refreshed) and resolves the ones no longer
found. Acknowledging a gap records who and why; it stays visible and open until the cause is gone.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone

from accountability.analysis.bulk import update_copy
from accountability.analysis.facts import AI_LEVELS_AT_LEAST_ASSISTED, ChangeFacts, change_facts_load
from accountability.analysis.models import Gap
from accountability.analysis.policy import REQUIRED, control_requirement, policy_active
from accountability.audit.services import audit_record
from accountability.catalog.models import Membership, OnCallShift, PathOwner, Service, Team
from accountability.changes.models import Change, Deployment, Environment, SignOff
from accountability.notify.triggers import new_gaps_notify

Code = Gap.Code
Severity = Gap.Severity
STALE_AFTER = timedelta(days=90)
ONCALL_LOOKAHEAD = timedelta(days=7)
SIGNOFF_HISTORY = timedelta(days=90)
CHANGE_BATCH = 2000
CATCH_ALL_PATTERNS = ("*", "/", "/*", "**", "/**")

SERVICE_CODES = [
    Code.SERVICE_NO_OWNER,
    Code.OWNER_DEPARTED,
    Code.OWNERSHIP_STALE,
    Code.CODEOWNERS_DRIFT,
    Code.SINGLE_POINT_OF_OWNERSHIP,
]
TEAM_CODES = [Code.TEAM_NO_ONCALL]
CHANGE_CODES = [
    Code.UNSIGNED_PRODUCTION_CHANGE,
    Code.SIGNER_NOT_ACCOUNTABLE,
    Code.AI_CHANGE_UNREVIEWED,
    Code.AI_CHANGE_UNVERIFIED,
    Code.NO_ROLLBACK_PLAN,
    Code.ROLLBACK_NEVER_REHEARSED,
    Code.POLICY_OVERRIDDEN,
]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    sentence: str
    service_id: int | None = None
    team_id: int | None = None
    change_id: int | None = None
    person_id: int | None = None
    accountable_team_id: int | None = None
    repository: str = ""

    @property
    def key(self) -> tuple:
        return (self.code, self.service_id, self.team_id, self.change_id, self.person_id, self.repository)


@dataclass(frozen=True, slots=True)
class ScanSummary:
    opened: int
    kept: int
    resolved: int


def _by_tier(tier: int) -> str:
    return Severity.HIGH if tier <= 2 else Severity.MEDIUM


# --- service gaps ------------------------------------------------------------------------------


def _codeowner_handles(owners: list[str]) -> tuple[set[str], set[str]]:
    teams, users = set(), set()
    for owner in owners:
        handle = owner.strip().lstrip("@").lower()
        if "/" in handle:
            teams.add(handle.rsplit("/", 1)[1])
        elif handle and "@" not in handle:
            users.add(handle)
    return teams, users


def service_findings(*, services: list[Service], now: datetime) -> list[Finding]:
    """Findings for SERVICE_NO_OWNER, OWNER_DEPARTED, OWNERSHIP_STALE, CODEOWNERS_DRIFT and
    SINGLE_POINT_OF_OWNERSHIP, in five queries for any number of services.

    1. Load the CODEOWNERS rules of the services' repositories and the GitHub logins of their teams.
    2. Load who approved the services' changes in the last 90 days (signers per service, and
       whether the owner of record signed).
    3. Check each service against each condition.
    """
    service_ids = [service.id for service in services]
    repositories = {repo for service in services for repo in service.repositories}
    # The owners of a repository's files in general are those of its last catch-all rule (GitHub
    # applies the last match); narrower rules (workflows, migrations) legitimately name others.
    catch_all: dict[str, list[str]] = {}
    for repository, owners in (
        PathOwner.objects.filter(repository__in=repositories, pattern__in=CATCH_ALL_PATTERNS)
        .order_by("repository", "line")
        .values_list("repository", "owners")
    ):
        catch_all[repository] = owners
    team_ids = {service.owner_team_id for service in services if service.owner_team_id}
    logins_by_team: dict[int, set[str]] = defaultdict(set)
    for team_id, login in Membership.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "person__github_login"
    ):
        if login:
            logins_by_team[team_id].add(login.lower())

    since = now - SIGNOFF_HISTORY
    approvals = SignOff.objects.filter(
        change__service_id__in=service_ids, decision=SignOff.Decision.APPROVE, created_at__gte=since
    )
    signers_by_service = {
        row["change__service_id"]: row
        for row in approvals.values("change__service_id").annotate(
            signers=Count("signer_id", distinct=True),
            n=Count("id"),
            one=Min("signer_id"),
            last=Max("created_at"),
        )
    }
    owner_signed = set(
        approvals.filter(signer_id=F("change__service__owner_of_record_id"))
        .values_list("change__service_id", flat=True)
        .distinct()
    )

    findings = []
    for service in services:
        team = service.owner_team
        owner = service.owner_of_record
        if team is None or owner is None:
            missing = " and ".join(
                part
                for part, absent in (("owning team", team is None), ("owner of record", owner is None))
                if absent
            )
            findings.append(
                Finding(
                    Code.SERVICE_NO_OWNER,
                    _by_tier(service.tier),
                    f"{service.name} (tier {service.tier}) has no {missing}.",
                    service_id=service.id,
                    accountable_team_id=service.owner_team_id,
                )
            )
        if owner is not None and (not owner.is_active or (owner.departed_at and owner.departed_at <= now)):
            findings.append(
                Finding(
                    Code.OWNER_DEPARTED,
                    _by_tier(service.tier),
                    f"The owner of record of {service.name}, {owner.name}, has left or is inactive.",
                    service_id=service.id,
                    person_id=owner.id,
                    accountable_team_id=service.owner_team_id,
                )
            )
        confirmed = service.ownership_confirmed_at
        if (confirmed is None or confirmed < now - STALE_AFTER) and service.id not in owner_signed:
            when = f"since {confirmed:%Y-%m-%d}" if confirmed else "ever"
            findings.append(
                Finding(
                    Code.OWNERSHIP_STALE,
                    Severity.LOW,
                    f"Nobody confirmed who owns {service.name} {when}, "
                    "and its owner signed nothing in 90 days.",
                    service_id=service.id,
                    accountable_team_id=service.owner_team_id,
                )
            )
        owners = [owner_ for repo in service.repositories for owner_ in catch_all.get(repo, [])]
        if owners and team is not None:
            team_handles, user_handles = _codeowner_handles(owners)
            if team.slug.lower() not in team_handles and not (user_handles & logins_by_team[team.id]):
                findings.append(
                    Finding(
                        Code.CODEOWNERS_DRIFT,
                        Severity.MEDIUM,
                        f"CODEOWNERS names {', '.join(sorted(set(owners)))} for {service.name}, "
                        f"not its owning team {team.name}.",
                        service_id=service.id,
                        accountable_team_id=team.id,
                    )
                )
        signers = signers_by_service.get(service.id)
        if service.tier <= 2 and signers and signers["signers"] == 1 and signers["n"] >= 2:
            findings.append(
                Finding(
                    Code.SINGLE_POINT_OF_OWNERSHIP,
                    Severity.MEDIUM,
                    f"All {signers['n']} sign-offs for {service.name} in 90 days came from one person.",
                    service_id=service.id,
                    person_id=signers["one"],
                    accountable_team_id=service.owner_team_id,
                )
            )
    return findings


# --- team gaps ---------------------------------------------------------------------------------


def team_findings(*, teams: list[Team], now: datetime) -> list[Finding]:
    """TEAM_NO_ONCALL: a team owning a tier 1-2 service with nobody on call now or in the next 7 days."""
    critical = dict(
        Service.objects.filter(owner_team__in=teams, tier__lte=2)
        .values("owner_team_id")
        .annotate(n=Count("id"))
        .values_list("owner_team_id", "n")
    )
    covered = set(
        OnCallShift.objects.filter(
            team_id__in=critical, person__is_active=True, start__lt=now + ONCALL_LOOKAHEAD, end__gt=now
        )
        .values_list("team_id", flat=True)
        .distinct()
    )
    return [
        Finding(
            Code.TEAM_NO_ONCALL,
            Severity.HIGH,
            f"{team.name} owns {critical[team.id]} tier 1-2 service(s) "
            "and has nobody on call now or in the next 7 days.",
            team_id=team.id,
            accountable_team_id=team.id,
        )
        for team in teams
        if team.id in critical and team.id not in covered
    ]


# --- change gaps -------------------------------------------------------------------------------


def change_findings_from_facts(*, facts: ChangeFacts, rules: dict, title: str) -> list[Finding]:
    """The change gaps of one change deployed to production, from its facts and the active policy."""

    def finding(code: str, severity: str, sentence: str) -> Finding:
        return Finding(
            code, severity, sentence, change_id=facts.change_id, accountable_team_id=facts.owner_team_id
        )

    controls = {control["code"]: control for control in rules["controls"]}
    requirement = {
        code: control_requirement(control, facts=facts, environment=Environment.PRODUCTION)
        for code, control in controls.items()
    }
    found = []
    if facts.approval is None and requirement.get("owner_signed_off") == REQUIRED:
        found.append(
            finding(
                Code.UNSIGNED_PRODUCTION_CHANGE,
                _by_tier(facts.tier),
                f"{title} reached production without a standing sign-off, which tier {facts.tier} requires.",
            )
        )
    if facts.approval is not None and (
        not facts.signer_in_owning_team or facts.signer_on_call_in_bake is False
    ):
        why = (
            "is outside the owning team"
            if not facts.signer_in_owning_team
            else "was not on call (nor a delegate) in the 24 h bake window"
        )
        found.append(
            finding(
                Code.SIGNER_NOT_ACCOUNTABLE,
                Severity.MEDIUM,
                f"{facts.approval.signer_name} signed {title} but {why}.",
            )
        )
    if facts.ai_level in AI_LEVELS_AT_LEAST_ASSISTED and not facts.human_review_ok:
        found.append(
            finding(
                Code.AI_CHANGE_UNREVIEWED,
                _by_tier(facts.tier),
                f"{title} is {facts.ai_level} by AI and no human other than its authors reviewed it.",
            )
        )
    if (
        facts.ai_level in ("majority", "generated")
        and requirement.get("ai_extra_evidence") is not None
        and not facts.extra_evidence_ok
    ):
        found.append(
            finding(
                Code.AI_CHANGE_UNVERIFIED,
                Severity.MEDIUM,
                f"{title} is {facts.ai_level} by AI without the canary, load test "
                "or manual QA evidence the policy asks.",
            )
        )
    if facts.rollback is None:
        found.append(finding(Code.NO_ROLLBACK_PLAN, _by_tier(facts.tier), f"{title} has no rollback plan."))
    elif not facts.rollback.data_reversible and facts.rollback.rehearsed_at is None:
        found.append(
            finding(
                Code.ROLLBACK_NEVER_REHEARSED,
                _by_tier(facts.tier),
                f"{title} changes data irreversibly and its rollback was never rehearsed.",
            )
        )
    if facts.approval is not None and facts.approval.override_reason.strip():
        found.append(
            finding(
                Code.POLICY_OVERRIDDEN,
                Severity.MEDIUM,
                f"{facts.approval.signer_name} overrode the policy for {title}: "
                f"“{facts.approval.override_reason.strip()}”",
            )
        )
    return found


def production_changes(*, since: datetime) -> QuerySet[Change]:
    return Change.objects.filter(
        deployments__environment=Environment.PRODUCTION,
        deployments__status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
        deployments__finished_at__gte=since,
    ).distinct()


def change_findings(*, change_ids: list[int], now: datetime) -> list[Finding]:
    rules = policy_active().rules
    titles = dict(Change.objects.filter(id__in=change_ids).values_list("id", "service__slug"))
    shas = dict(Change.objects.filter(id__in=change_ids).values_list("id", "sha"))
    findings = []
    for change_id, facts in change_facts_load(change_ids=change_ids, now=now).items():
        if facts.production_deployed_at is None:
            continue
        title = f"{titles[change_id]}@{shas[change_id][:7]}"
        findings.extend(change_findings_from_facts(facts=facts, rules=rules, title=title))
    return findings


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
