"""Ninety days of changes: commits, AI provenance, evidence, rollback plans, deployments and sign-offs.

Each change is planned in memory first (`PlannedChange`), then everything is written with bulk inserts;
sign-offs go through the ledger one by one, in time order, so the hash chain reads like history.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from accountability.catalog.models import Person, Service
from accountability.changes.ledger import signoff_append
from accountability.changes.models import (
    AIProvenance,
    Change,
    Commit,
    Deployment,
    Environment,
    Evidence,
    RollbackPlan,
    SignOff,
)
from accountability.devtools.demo import data
from accountability.devtools.demo.organisation import Organisation

Level = AIProvenance.Level
Source = AIProvenance.SignalSource
Confidence = AIProvenance.Confidence
Kind = Evidence.Kind
Result = Evidence.Result
Status = Deployment.Status

# Flavours of provenance and how often they occur in background changes.
FLAVOURS = [
    ("none", 27),
    ("assisted_line", 14),
    ("assisted_trailer", 10),
    ("assisted_attested", 2),
    ("majority", 10),
    ("generated", 8),
    ("unknown", 24),
    ("dependabot", 5),
]
AI_AT_LEAST_MAJORITY = {"majority", "generated"}


@dataclass
class PlannedChange:
    change: Change
    flavour: str
    authors: list[Person] = field(default_factory=list)
    driver: Person | None = None
    commits: list[Commit] = field(default_factory=list)
    provenance: AIProvenance | None = None
    evidence: list[Evidence] = field(default_factory=list)
    plan: RollbackPlan | None = None
    deployments: list[Deployment] = field(default_factory=list)
    signoffs: list[dict] = field(default_factory=list)

    @property
    def production(self) -> Deployment | None:
        prods = [d for d in self.deployments if d.environment == Environment.PRODUCTION]
        return prods[-1] if prods else None


@dataclass
class Timeline:
    """Forced times for a change whose moments matter (incident causes, the demo owner's queue)."""

    merged_at: datetime
    prod_start: datetime | None = None
    prod_finish: datetime | None = None
    prod_status: str = Status.SUCCEEDED

    @property
    def forced(self) -> bool:
        return self.prod_start is not None or self.prod_status != Status.SUCCEEDED


class HistoryPlanner:
    """Plans changes against the organisation; `blocked` keeps production deploys out of incident windows."""

    def __init__(self, *, org: Organisation, rng: random.Random, now: datetime):
        self.org, self.rng, self.now = org, rng, now
        self.blocked: dict[str, list[tuple[datetime, datetime]]] = {}
        self.pr_numbers: dict[str, int] = {}
        self.counter = 0
        self.planned: list[PlannedChange] = []

    # -- helpers -------------------------------------------------------------------------------

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def _working_time(self, day: datetime) -> datetime:
        if self.rng.random() < 0.08:  # the odd late-night or weekend merge
            hour = self.rng.choice([0, 1, 2, 21, 22, 23])
        else:
            hour = self.rng.choice([9, 10, 10, 11, 11, 13, 14, 14, 15, 15, 16, 17])
        return day.replace(hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60))

    def _team(self, service: Service) -> str | None:
        return service.owner_team.slug if service.owner_team else None

    def _people_for(self, service: Service, at: datetime) -> list[Person]:
        team = self._team(service)
        people = self.org.members_at(team, at) if team else []
        return people or [p for p in self.org.people if self.org.active_at(p, at)]

    def _is_blocked(self, slug: str, at: datetime) -> datetime | None:
        for start, end in self.blocked.get(slug, []):
            if start <= at <= end:
                return end
        return None

    # -- planning ------------------------------------------------------------------------------

    def plan_background(self, *, count: int) -> None:
        services = list(self.org.services.values())
        weights = [
            0.6 if s.kind == Service.Kind.DATASTORE else {1: 4, 2: 3, 3: 2, 4: 1}[s.tier] for s in services
        ]
        start = self.now - timedelta(days=90)
        for _ in range(count):
            service = self.rng.choices(services, weights)[0]
            day = start + timedelta(days=self.rng.randrange(90))
            merged_at = self._working_time(day)
            if merged_at > self.now - timedelta(hours=2):
                merged_at = self.now - timedelta(hours=self.rng.uniform(2, 30))
            flavour = self.rng.choices([f for f, _ in FLAVOURS], [w for _, w in FLAVOURS])[0]
            self.plan_change(service=service, flavour=flavour, timeline=Timeline(merged_at=merged_at))

    def plan_change(
        self,
        *,
        service: Service,
        flavour: str,
        timeline: Timeline,
        reviewed: bool | None = None,
        schema: bool | None = None,
        signed: bool | None = None,
        extra_evidence: bool | None = None,
    ) -> PlannedChange:
        """Plan one change; the keyword overrides force what the incident and persona scenarios need."""
        rng = self.rng
        merged_at = timeline.merged_at
        people = self._people_for(service, merged_at)
        repository = service.repositories[0]
        number = self.pr_numbers.get(repository, rng.randint(120, 2400)) + 1
        self.pr_numbers[repository] = number
        if schema is None:
            schema = flavour != "dependabot" and rng.random() < 0.07

        authors: list[Person] = []
        driver = None
        tool = rng.choice(data.AI_TOOLS)
        if flavour == "dependabot":
            author_logins = [data.DEPENDABOT_LOGIN]
        elif flavour == "generated":
            tool = rng.choice([t for t in data.AI_TOOLS if t[3]])
            driver = rng.choice(people)
            author_logins = [tool[3]]
        else:
            authors = rng.sample(people, 2 if len(people) > 1 and rng.random() < 0.15 else 1)
            author_logins = [a.github_login for a in authors]
            if flavour != "none" and flavour != "unknown":
                driver = authors[0]
        humans = [a for a in people if a not in authors and a is not driver]
        merger = rng.choice(humans or people)

        title, body = self._texts(service, flavour, schema)
        additions = max(1, min(4000, int(rng.lognormvariate(3.6, 1.1))))
        if flavour == "dependabot":
            additions = rng.randint(1, 6)
        deletions = int(additions * rng.uniform(0.05, 0.8))
        labels = []
        if schema:
            labels.append("db-migration")
        if flavour == "dependabot":
            labels.append("dependencies")
        elif flavour == "assisted_trailer" and rng.random() < 0.3:
            labels.append("ai-assisted")
        if "fix" in title.lower() and rng.random() < 0.2:
            labels.append("hotfix")
        change = Change(
            service=service,
            repository=repository,
            sha=self._sha(),
            pr_number=number,
            pr_url=f"https://github.com/{repository}/pull/{number}",
            title=title,
            author_logins=author_logins,
            merged_by=merger,
            merged_by_login=merger.github_login,
            merged_at=merged_at,
            files_changed=max(1, min(80, additions // 30 + rng.randint(1, 4))),
            additions=additions,
            deletions=deletions,
            touches_schema_migration=schema,
            labels=labels,
        )
        planned = PlannedChange(change=change, flavour=flavour, authors=authors, driver=driver)
        self._commits(planned, tool, title, body, merger)
        self._provenance(planned, tool)
        self._evidence(planned, people, reviewed, extra_evidence)
        self._rollback_plan(planned, people)
        self._deployments(planned, timeline)
        self._signoffs(planned, signed)
        self.planned.append(planned)
        return planned

    def _texts(self, service: Service, flavour: str, schema: bool) -> tuple[str, str]:
        rng = self.rng
        area = service.slug.split("-")[0]
        noun = area.rstrip("s")
        deps = self.org.depends_on.get(service.slug) or ["upstream"]
        dep = rng.choice(deps)
        if flavour == "dependabot":
            package, old, new = rng.choice(data.DEPENDABOT_PACKAGES)
            title = f"build(deps): bump {package} from {old} to {new}"
            body = (
                f"Bumps [{package}](https://github.com/{package}) from {old} to {new}.\n\n"
                "---\nupdated-dependencies:\n"
                f"- dependency-name: {package}\n  dependency-version: {new}\n"
                "  dependency-type: direct:production\n  update-type: version-update:semver-patch\n..."
            )
            return title, body
        if schema:
            subject = rng.choice(data.MIGRATION_OBJECTS).format(noun=noun)
            title = f"feat({area}): {subject[0].lower()}{subject[1:]}" if rng.random() < 0.6 else subject
        else:
            prefix, subject = rng.choice(data.CHANGE_TITLES)
            subject = subject.format(noun=noun, area=area, dep=dep)
            title = f"{prefix}({area}): {subject[0].lower()}{subject[1:]}" if rng.random() < 0.6 else subject
        body = " ".join(line.format(area=area, dep=dep) for line in rng.sample(data.BODY_LINES, 2))
        return title, body

    def _commits(self, planned: PlannedChange, tool: tuple, title: str, body: str, merger: Person) -> None:
        rng, change = self.rng, planned.change
        flavour = planned.flavour
        trailers = []
        if flavour == "dependabot":
            trailers = [
                "Signed-off-by: dependabot[bot] <support@github.com>",
                "Co-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
            ]
        elif flavour in ("assisted_trailer", "majority", "generated") or (
            flavour == "assisted_line" and rng.random() < 0.5
        ):
            trailers = [tool[2]]
        if flavour == "generated" and planned.driver:
            driver = planned.driver
            trailers.append(f"Co-authored-by: {driver.name} <{driver.email}>")
        if len(planned.authors) > 1:
            other = planned.authors[1]
            trailers.append(f"Co-authored-by: {other.name} <{other.email}>")
        message = f"{title} (#{change.pr_number})\n\n{body}"
        if trailers:
            message += "\n\n" + "\n".join(trailers)
        author_login = change.author_logins[0]
        author = planned.authors[0] if planned.authors else None
        at = change.merged_at
        commits = [
            Commit(
                change=change,
                sha=change.sha,
                message=message,
                author_name=author.name if author else author_login,
                author_email=author.email if author else f"{author_login}@users.noreply.github.com",
                author_login=author_login,
                committed_at=at,
            )
        ]
        # Some PRs keep their individual commits next to the squash commit.
        for n in range(rng.choice([0, 0, 1, 2, 3])):
            commits.append(
                Commit(
                    change=change,
                    sha=self._sha(),
                    message=rng.choice(["wip", "address review comments", "fix tests", "tidy up"])
                    + ("\n\n" + trailers[0] if trailers and n == 0 else ""),
                    author_name=commits[0].author_name,
                    author_email=commits[0].author_email,
                    author_login=author_login,
                    committed_at=at - timedelta(hours=rng.uniform(1, 48)),
                )
            )
        change.commit_shas = [c.sha for c in commits]
        planned.commits = commits

    def _ai_lines(self, planned: PlannedChange, share: float) -> dict[str, list[list[int]]]:
        rng, change = self.rng, planned.change
        package = change.service.slug.replace("-", "_")
        website = change.service.kind == Service.Kind.WEBSITE
        total = max(1, round(change.additions * share))
        files = rng.sample(data.REPOSITORY_FILES, min(len(data.REPOSITORY_FILES), rng.randint(1, 4)))
        lines: dict[str, list[list[int]]] = {}
        per_file = max(1, total // len(files))
        for name in files:
            path = f"src/components/{name.title()}.tsx" if website else f"src/{package}/{name}.py"
            start = rng.randint(1, 200)
            if per_file > 20 and rng.random() < 0.5:
                half = per_file // 2
                lines[path] = [[start, start + half - 1], [start + half + 15, start + per_file + 14]]
            else:
                lines[path] = [[start, start + per_file - 1]]
        return lines

    def _provenance(self, planned: PlannedChange, tool: tuple) -> None:
        rng, flavour = self.rng, planned.flavour
        name, models = tool[0], tool[1]
        provenance = AIProvenance(change=planned.change, level=Level.UNKNOWN, confidence=Confidence.NONE)
        if flavour == "none":
            provenance.level, provenance.ai_share = Level.NONE, Decimal("0")
            provenance.sources, provenance.confidence = [Source.GIT_AI_NOTE], Confidence.LINE_LEVEL
        elif flavour in ("assisted_line", "majority"):
            share = rng.uniform(0.03, 0.45) if flavour == "assisted_line" else rng.uniform(0.5, 0.95)
            provenance.level = Level.ASSISTED if flavour == "assisted_line" else Level.MAJORITY
            provenance.ai_share = Decimal(f"{share:.4f}")
            provenance.sources = [rng.choice([Source.AGENT_TRACE, Source.GIT_AI_NOTE])]
            if tool[2] in planned.commits[0].message:
                provenance.sources.append(Source.TRAILER)
            provenance.confidence = Confidence.LINE_LEVEL
            provenance.ai_lines = self._ai_lines(planned, share)
        elif flavour == "assisted_trailer":
            provenance.level, provenance.confidence = Level.ASSISTED, Confidence.HEURISTIC
            provenance.sources = [Source.TRAILER]
            if "Generated with" in tool[2]:
                provenance.sources.append(Source.MESSAGE)
            if "ai-assisted" in planned.change.labels:
                provenance.sources.append(Source.LABEL)
        elif flavour == "assisted_attested":
            share = rng.uniform(0.1, 0.4)
            provenance.level, provenance.ai_share = Level.ASSISTED, Decimal(f"{share:.4f}")
            provenance.sources, provenance.confidence = [Source.API_ATTESTATION], Confidence.ATTESTED
        elif flavour == "generated":
            provenance.level = Level.GENERATED
            provenance.sources = [Source.BOT_AUTHOR, Source.TRAILER]
            provenance.confidence = Confidence.HEURISTIC
            if rng.random() < 0.5:
                provenance.sources.append(Source.AGENT_TRACE)
                provenance.confidence, provenance.ai_share = Confidence.LINE_LEVEL, Decimal("1")
                provenance.ai_lines = self._ai_lines(planned, 1.0)
        if provenance.level not in (Level.NONE, Level.UNKNOWN):
            provenance.tools = [name]
            provenance.ai_models = [rng.choice(models)]
            if planned.driver:
                provenance.driver_logins = [planned.driver.github_login]
        planned.provenance = provenance

    def _evidence(
        self, planned: PlannedChange, people: list[Person], reviewed: bool | None, extra: bool | None
    ) -> None:
        rng, change = self.rng, planned.change
        at = change.merged_at
        items = planned.evidence

        def add(kind, result, *, when, url="", source, actor="", recorder=None, detail=""):
            number = self._next()
            items.append(
                Evidence(
                    change=change,
                    kind=kind,
                    result=result,
                    url=url,
                    sha=change.sha,
                    recorded_by=recorder,
                    actor_login=actor or (recorder.github_login if recorder else ""),
                    source=source,
                    external_id=f"demo-{number}",
                    detail=detail,
                    at=when,
                )
            )
            return number

        # CI: nearly always present; some runs fail (and are re-run), some carry no link at all.
        if rng.random() < 0.97:
            roll = rng.random()
            result = Result.FAILED if roll < 0.05 else Result.WARNED if roll < 0.08 else Result.PASSED
            if reviewed is False:
                result = Result.PASSED  # an unreviewed incident cause got to production on green CI
            run = self._next()
            url = "" if rng.random() < 0.06 else f"https://github.com/{change.repository}/actions/runs/{run}"
            add(
                Kind.CI_TESTS,
                result,
                when=at - self._minutes(5, 40),
                url=url,
                source="github-actions",
                actor="github-actions[bot]",
                detail=f"{rng.randint(180, 3200)} tests passed" if result == Result.PASSED else "",
            )
            if result == Result.FAILED and rng.random() < 0.6:
                add(
                    Kind.CI_TESTS,
                    Result.PASSED,
                    when=at - self._minutes(1, 4),
                    source="github-actions",
                    url=f"https://github.com/{change.repository}/actions/runs/{run + 1}",
                    actor="github-actions[bot]",
                )

        # Human review by someone other than the authors, except where a scenario wants it missing;
        # now and then the only "review" is the author approving their own PR.
        flavour = planned.flavour
        review_rate = {"none": 0.88, "unknown": 0.85, "dependabot": 0.7, "generated": 0.7}.get(flavour, 0.75)
        if reviewed is None:
            reviewed = rng.random() < review_rate
        if reviewed:
            if planned.authors and rng.random() < 0.06:
                reviewer = planned.authors[0]
            else:
                candidates = [p for p in people if p not in planned.authors] or people
                reviewer = rng.choice(candidates)
            number = self._next()
            add(
                Kind.HUMAN_REVIEW,
                Result.PASSED,
                when=at - self._minutes(10, 600),
                source="github",
                url=f"{change.pr_url}#pullrequestreview-{3_000_000 + number}",
                recorder=reviewer,
            )

        tier = change.service.tier
        if extra is None:
            extra = rng.random() < (0.55 if flavour in AI_AT_LEAST_MAJORITY else 0.35 if tier <= 2 else 0.1)
        shipped_by = at + timedelta(minutes=120)
        if extra and shipped_by < self.now:
            kind = rng.choice([Kind.CANARY_ANALYSIS, Kind.CANARY_ANALYSIS, Kind.LOAD_TEST, Kind.MANUAL_QA])
            roll = rng.random()
            result = Result.FAILED if roll < 0.05 else Result.WARNED if roll < 0.15 else Result.PASSED
            source = {Kind.CANARY_ANALYSIS: "argo-rollouts", Kind.LOAD_TEST: "k6", Kind.MANUAL_QA: "qa"}[kind]
            add(
                kind,
                result,
                when=at + self._minutes(30, 120),
                source=source,
                url=f"https://{source}.{data.EMAIL_DOMAIN}/runs/{self._next()}",
                recorder=rng.choice(people) if kind == Kind.MANUAL_QA else None,
            )
        if rng.random() < 0.35:
            result = Result.WARNED if rng.random() < 0.15 else Result.PASSED
            add(
                Kind.SECURITY_SCAN,
                result,
                when=at - self._minutes(5, 30),
                source="trivy",
                url=f"https://github.com/{change.repository}/security/code-scanning/{self._next()}",
                detail="2 medium CVEs in base image" if result == Result.WARNED else "",
            )
        if rng.random() < 0.45:
            add(
                Kind.BUILD_PROVENANCE,
                Result.PASSED,
                when=at + self._minutes(2, 10),
                source="slsa-github-generator",
                url=f"https://github.com/{change.repository}/attestations/{self._next()}",
            )

    def _rollback_plan(self, planned: PlannedChange, people: list[Person]) -> None:
        rng, change = self.rng, planned.change
        service = change.service
        has_default = service.slug in self.org.default_plans
        if change.touches_schema_migration:
            reversible = rng.random() < 0.5
            rehearsed = rng.random() < (0.5 if reversible else 0.2)
            at = change.merged_at - timedelta(hours=rng.uniform(2, 48)) if rehearsed else None
            planned.plan = RollbackPlan(
                change=change,
                strategy=RollbackPlan.Strategy.DOWN_MIGRATION
                if reversible
                else RollbackPlan.Strategy.FORWARD_FIX_ONLY,
                steps=(
                    "1. Roll the service back to the previous release.\n2. Run the down-migration "
                    "(`manage.py migrate <app> <previous>`); it restores the old columns from the shadow "
                    "copy."
                    if reversible
                    else "The migration drops data that cannot be restored from the application. "
                    "Fix forward; as a last resort restore the point-in-time backup (about 2 hours)."
                ),
                expected_minutes=rng.choice([15, 20, 30]) if reversible else 120,
                data_reversible=reversible,
                last_rehearsed_at=at,
                last_rehearsed_by=rng.choice(people) if at else None,
            )
            if at:
                planned.evidence.append(
                    Evidence(
                        change=change,
                        kind=Kind.ROLLBACK_REHEARSAL,
                        result=Result.PASSED,
                        sha=change.sha,
                        source="staging-drill",
                        external_id=f"demo-{self._next()}",
                        at=at,
                        recorded_by=planned.plan.last_rehearsed_by,
                        actor_login=planned.plan.last_rehearsed_by.github_login,
                        detail="Down-migration rehearsed on a staging snapshot"
                        if reversible
                        else "Point-in-time restore rehearsed on a staging snapshot",
                    )
                )
        elif "feature flag" in change.title or rng.random() < 0.08:
            planned.plan = RollbackPlan(
                change=change,
                strategy=RollbackPlan.Strategy.FEATURE_FLAG,
                steps=f"Turn off `{service.slug.replace('-', '_')}_new_path` in the feature-flag console.",
                expected_minutes=2,
                last_rehearsed_at=change.merged_at - timedelta(hours=rng.uniform(1, 24)),
            )
        elif not has_default and rng.random() < 0.4:
            planned.plan = RollbackPlan(
                change=change,
                strategy=RollbackPlan.Strategy.REVERT_COMMIT,
                steps=f"Revert {change.sha[:7]} on main and let the pipeline deploy the revert.",
                expected_minutes=25,
            )

    def _deployments(self, planned: PlannedChange, timeline: Timeline) -> None:
        rng, change = self.rng, planned.change
        slug = change.service.slug
        artifact = (
            f"pkg:oci/{slug}@sha256:{hashlib.sha256(change.sha.encode()).hexdigest()}"
            f"?repository_url=registry.{data.EMAIL_DOMAIN}/{slug}"
        )
        deployer = change.merged_by

        def deployment(environment, status, started, finished):
            number = self._next()
            planned.deployments.append(
                Deployment(
                    change=change,
                    environment=environment,
                    status=status,
                    started_at=started,
                    finished_at=finished,
                    deployed_by=deployer,
                    deployed_by_login=deployer.github_login,
                    provider="demo",
                    external_id=f"demo-{number}",
                    url=f"https://github.com/{change.repository}/actions/runs/{number}",
                    artifact_id=artifact,
                )
            )

        staging_start = change.merged_at + self._minutes(4, 30)
        staging_finish = staging_start + self._minutes(3, 12)
        if timeline.prod_start is None or staging_finish < timeline.prod_start:
            failed = not timeline.forced and rng.random() < 0.04
            if staging_finish < self.now:
                deployment(
                    Environment.STAGING,
                    Status.FAILED if failed else Status.SUCCEEDED,
                    staging_start,
                    staging_finish,
                )
            if failed:
                return

        if timeline.prod_start is not None or timeline.prod_status == Status.QUEUED:
            deployment(
                Environment.PRODUCTION, timeline.prod_status, timeline.prod_start, timeline.prod_finish
            )
            return
        if rng.random() > 0.95:
            return  # merged but never shipped (superseded)
        start = staging_finish + timedelta(
            minutes=rng.choice([20, 45, 90, 180, 600, 1200]) * rng.uniform(0.7, 1.3)
        )
        finish = start + self._minutes(4, 15)
        # Hold the deploy until after the incident it would blur; windows may follow each other.
        while window_end := self._is_blocked(slug, finish) or self._is_blocked(slug, start):
            start = window_end + self._minutes(60, 180)
            finish = start + self._minutes(4, 15)
        if finish > self.now - timedelta(minutes=10):
            return  # not in production yet
        roll = rng.random()
        status = Status.FAILED if roll < 0.04 else Status.ROLLED_BACK if roll < 0.08 else Status.SUCCEEDED
        deployment(Environment.PRODUCTION, status, start, finish)
        if status == Status.FAILED and rng.random() < 0.7:
            retry_start = finish + self._minutes(20, 90)
            retry_finish = retry_start + self._minutes(4, 15)
            if retry_finish < self.now and not self._is_blocked(slug, retry_finish):
                deployment(Environment.PRODUCTION, Status.SUCCEEDED, retry_start, retry_finish)

    def _signoffs(self, planned: PlannedChange, signed: bool | None) -> None:
        rng, change, org = self.rng, planned.change, self.org
        production = planned.production
        if production is None:
            return
        service = change.service
        if signed is None:
            single = service.slug == data.SINGLE_SIGNER_SERVICE
            signed = single or rng.random() < (0.86 if service.tier <= 2 else 0.25)
        if not signed:
            return
        before = production.started_at or self.now
        earliest = change.merged_at + timedelta(minutes=1)
        at = max(earliest, before - self._minutes(3, 90))
        if at >= before:
            at = earliest
        team = service.owner_team.slug if service.owner_team else None
        owner = service.owner_of_record
        members = [p for p in org.members_at(team, at) if p not in planned.authors] if team else []
        roll = rng.random()
        single_signer = service.slug == data.SINGLE_SIGNER_SERVICE
        # Owners of stale services have not looked at them in months: teammates sign, if anyone does.
        absent = service.slug in data.SERVICES_WITH_STALE_OWNERSHIP + data.SERVICES_NEVER_CONFIRMED
        if owner and (single_signer or (not absent and org.active_at(owner, at) and roll < 0.65)):
            signer = owner
        elif members and roll < 0.93:
            signer = rng.choice(members)
        else:
            outsiders = [
                p for p in org.people if org.active_at(p, at) and team not in org.team_of.get(p.pk, [])
            ]
            signer = rng.choice(outsiders)

        on_call = org.on_call(team, production.finished_at or at) if team else None
        delegate, through_bake = None, False
        if on_call is signer:
            through_bake = True
        elif on_call is not None and rng.random() < 0.85:
            delegate, through_bake = on_call, True

        ai = planned.provenance.level
        risky = (
            ai in (Level.MAJORITY, Level.GENERATED)
            and not any(
                e.kind in (Kind.CANARY_ANALYSIS, Kind.LOAD_TEST, Kind.MANUAL_QA) for e in planned.evidence
            )
        ) or not any(e.kind == Kind.HUMAN_REVIEW for e in planned.evidence)
        roll = rng.random()
        if risky and service.tier <= 2:
            decision = "deny" if roll < 0.12 else "warn"
        else:
            decision = "deny" if roll < 0.02 else "warn" if roll < 0.2 else "allow"
        all_ticked = rng.random() < 0.8
        entry = {
            "change": change,
            "signer": signer,
            "decision": SignOff.Decision.APPROVE,
            "read_ai_parts": all_ticked or ai in (Level.NONE, Level.UNKNOWN),
            "understood_blast_radius": all_ticked or rng.random() < 0.5,
            "rollback_ready": all_ticked or rng.random() < 0.5,
            "on_call_through_bake": through_bake,
            "delegate": delegate,
            "note": rng.choice(data.SIGNOFF_NOTES),
            "override_reason": rng.choice(data.OVERRIDE_REASONS) if decision == "deny" else "",
            "policy_decision": decision,
            "policy_version": 1,
            "at": at,
        }
        if rng.random() < 0.02:
            rejected_at = max(earliest, at - self._minutes(30, 180))
            planned.signoffs.append(
                {
                    "change": change,
                    "signer": signer,
                    "decision": SignOff.Decision.REJECT,
                    "note": "Needs a canary run before I sign; please attach it.",
                    "policy_decision": "deny" if decision == "deny" else "warn",
                    "policy_version": 1,
                    "at": min(rejected_at, at - timedelta(seconds=1)),
                }
            )
        planned.signoffs.append(entry)

    def plan_revokes(self, *, count: int) -> None:
        """Some owners take a signature back: revoke an approval; half of them sign again later."""
        signed = [
            p for p in self.planned if any(s["decision"] == SignOff.Decision.APPROVE for s in p.signoffs)
        ]
        for n, planned in enumerate(self.rng.sample(signed, count)):
            approval = next(s for s in planned.signoffs if s["decision"] == SignOff.Decision.APPROVE)
            approval["key"] = id(approval)
            revoke_at = approval["at"] + self._minutes(5, 40)
            planned.signoffs.append(
                {
                    "change": planned.change,
                    "signer": approval["signer"],
                    "decision": SignOff.Decision.REVOKE,
                    "revokes_key": id(approval),
                    "note": "Signed the wrong build: the canary was for the previous sha.",
                    "at": revoke_at,
                }
            )
            if n % 2 == 0:
                again = {k: v for k, v in approval.items() if k != "key"}
                again["at"] = revoke_at + self._minutes(10, 60)
                again["note"] = "Re-signed after the canary for this sha passed."
                planned.signoffs.append(again)


def history_write(*, planned: list[PlannedChange]) -> int:
    """Bulk-insert the planned changes, then append their sign-offs in time order; returns how many."""
    Change.objects.bulk_create([p.change for p in planned], batch_size=1000)
    Commit.objects.bulk_create([c for p in planned for c in p.commits], batch_size=2000)
    AIProvenance.objects.bulk_create([p.provenance for p in planned], batch_size=1000)
    Change.authors.through.objects.bulk_create(
        [Change.authors.through(change_id=p.change.pk, person_id=a.pk) for p in planned for a in p.authors],
        batch_size=2000,
    )
    AIProvenance.drivers.through.objects.bulk_create(
        [
            AIProvenance.drivers.through(aiprovenance_id=p.provenance.pk, person_id=p.driver.pk)
            for p in planned
            if p.driver and p.provenance.level not in (Level.NONE, Level.UNKNOWN)
        ],
        batch_size=2000,
    )
    Evidence.objects.bulk_create([e for p in planned for e in p.evidence], batch_size=2000)
    RollbackPlan.objects.bulk_create([p.plan for p in planned if p.plan], batch_size=1000)
    Deployment.objects.bulk_create([d for p in planned for d in p.deployments], batch_size=2000)

    entries = sorted((s for p in planned for s in p.signoffs), key=lambda s: s["at"])
    appended: dict[int, SignOff] = {}
    for entry in entries:
        kwargs = {k: v for k, v in entry.items() if k not in ("key", "revokes_key")}
        if "revokes_key" in entry:
            kwargs["revokes"] = appended[entry["revokes_key"]]
        signoff = signoff_append(**kwargs)
        if "key" in entry:
            appended[entry["key"]] = signoff
    return len(entries)
