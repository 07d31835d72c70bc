"""What the gap scans find (DESIGN §9): the rules that say where nobody is accountable, as findings.

A finding names a code, its subject (a service, a team, a change, a person or a repository) and a sentence;
analysis/gaps.py reconciles findings with the stored gaps. Findings are pure reads: nothing here writes.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, Min, QuerySet

from accountability.analysis.facts import AI_LEVELS_AT_LEAST_ASSISTED, ChangeFacts, change_facts_load
from accountability.analysis.models import Gap
from accountability.analysis.policy import REQUIRED, control_requirement, policy_active
from accountability.catalog.models import Membership, OnCallShift, PathOwner, Service, Team
from accountability.changes.models import Change, Deployment, Environment, SignOff

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
    """The change gaps of one change deployed to production, from its facts and the active policy: who
    signed, what verified it, how it rolls back, and whether the policy was overridden."""
    requirement = {
        control["code"]: control_requirement(control, facts=facts, environment=Environment.PRODUCTION)
        for control in rules["controls"]
    }
    found = [
        *_signature_findings(facts=facts, requirement=requirement, title=title),
        *_verification_findings(facts=facts, requirement=requirement, title=title),
    ]
    if facts.approval is not None and facts.approval.override_reason.strip():
        found.append(
            (
                Code.POLICY_OVERRIDDEN,
                Severity.MEDIUM,
                f"{facts.approval.signer_name} overrode the policy for {title}: "
                f"“{facts.approval.override_reason.strip()}”",
            )
        )
    return [
        Finding(code, severity, sentence, change_id=facts.change_id, accountable_team_id=facts.owner_team_id)
        for code, severity, sentence in found
    ]


def _signature_findings(*, facts: ChangeFacts, requirement: dict, title: str) -> list[tuple[str, str, str]]:
    found = []
    if facts.approval is None and requirement.get("owner_signed_off") == REQUIRED:
        found.append(
            (
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
            (
                Code.SIGNER_NOT_ACCOUNTABLE,
                Severity.MEDIUM,
                f"{facts.approval.signer_name} signed {title} but {why}.",
            )
        )
    return found


def _verification_findings(
    *, facts: ChangeFacts, requirement: dict, title: str
) -> list[tuple[str, str, str]]:
    found = []
    if facts.ai_level in AI_LEVELS_AT_LEAST_ASSISTED and not facts.human_review_ok:
        found.append(
            (
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
            (
                Code.AI_CHANGE_UNVERIFIED,
                Severity.MEDIUM,
                f"{title} is {facts.ai_level} by AI without the canary, load test "
                "or manual QA evidence the policy asks.",
            )
        )
    if facts.rollback is None:
        found.append((Code.NO_ROLLBACK_PLAN, _by_tier(facts.tier), f"{title} has no rollback plan."))
    elif not facts.rollback.data_reversible and facts.rollback.rehearsed_at is None:
        found.append(
            (
                Code.ROLLBACK_NEVER_REHEARSED,
                _by_tier(facts.tier),
                f"{title} changes data irreversibly and its rollback was never rehearsed.",
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
