"""The demo catalog: teams, people, services, the dependency graph, rollback defaults, CODEOWNERS, on-call."""

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accountability.catalog.models import (
    Dependency,
    Membership,
    OnCallShift,
    PathOwner,
    Person,
    RecordSource,
    Service,
    Team,
)
from accountability.changes.models import RollbackPlan
from accountability.devtools.demo import data

DEMO = RecordSource.DEMO
ROTA_HANDOFF_HOUR = 9  # weekly rotations hand over on Mondays at 09:00 UTC


@dataclass
class Shift:
    start: datetime
    end: datetime
    level: int
    person: Person


@dataclass
class Organisation:
    """The catalog as written, kept in memory for the history and incident generators."""

    now: datetime
    teams: dict[str, Team] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    members: dict[str, list[Person]] = field(default_factory=dict)
    team_of: dict[int, list[str]] = field(default_factory=dict)
    leads: dict[str, Person] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    depends_on: dict[str, list[str]] = field(default_factory=dict)
    default_plans: dict[str, RollbackPlan] = field(default_factory=dict)
    shifts: dict[str, list[Shift]] = field(default_factory=dict)
    shift_starts: dict[str, list[datetime]] = field(default_factory=dict)

    def active_at(self, person: Person, at: datetime) -> bool:
        return person.departed_at is None or person.departed_at > at

    def members_at(self, team_slug: str, at: datetime) -> list[Person]:
        return [p for p in self.members.get(team_slug, []) if self.active_at(p, at)]

    def on_call(self, team_slug: str, at: datetime, level: int = 1) -> Person | None:
        shifts = self.shifts.get(team_slug, [])
        index = bisect.bisect_right(self.shift_starts.get(team_slug, []), at)
        for shift in reversed(shifts[max(0, index - 8) : index]):
            if shift.level == level and shift.start <= at < shift.end:
                return shift.person
        return None

    def upstream(self, slug: str, hops: int = 3) -> set[str]:
        """The services `slug` depends on, up to `hops` edges away (the suspects' search area)."""
        seen, frontier = {slug}, [slug]
        for _ in range(hops):
            frontier = [dep for s in frontier for dep in self.depends_on.get(s, []) if dep not in seen]
            seen.update(frontier)
        return seen


def _parse_services() -> list[dict]:
    rows = []
    for line in data.SERVICES_TABLE.strip().splitlines():
        slug, name, kind, tier, team, flags, deps = (part.strip() for part in line.split("|"))
        rows.append(
            {
                "slug": slug,
                "name": name,
                "kind": kind,
                "tier": int(tier),
                "team": None if team == "-" else team,
                "flags": flags.split(),
                "deps": [] if deps in ("", "?") else [d.strip() for d in deps.split(",")],
                "known": deps != "?",
            }
        )
    return rows


def _pagerduty_id(rng: random.Random, prefix: str = "P") -> str:
    return prefix + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6))


def organisation_build(*, rng: random.Random, now: datetime) -> Organisation:
    """Write the catalog and return it in memory.

    1. Teams (with parents), then about 120 people with handles, nine of them departed.
    2. Memberships: every leaf team gets a lead and members; parent teams a manager and staff.
    3. Services from the table, owners of record from the owning team, deliberate ownership gaps.
    4. Dependency edges, default rollback plans, CODEOWNERS rules per repository.
    5. Weekly primary/secondary rotas from 90 days ago to 14 days ahead, minus the deliberate holes.
    """
    org = Organisation(now=now)
    _teams_write(org, rng)
    _people_write(org, rng, now)
    _services_write(org, rng, now)
    _path_owners_write(org)
    _rotas_write(org, rng, now)
    return org


def _teams_write(org: Organisation, rng: random.Random) -> None:
    for slug, name, _parent in data.TEAMS:
        org.teams[slug] = Team(
            name=name,
            slug=slug,
            email=f"{slug}@{data.EMAIL_DOMAIN}",
            chat_channel=f"#team-{slug}",
            pagerduty_schedule_id="" if slug in data.PARENT_TEAMS else _pagerduty_id(rng),
            pagerduty_escalation_policy_id="" if slug in data.PARENT_TEAMS else _pagerduty_id(rng),
            record_source=DEMO,
        )
    Team.objects.bulk_create(org.teams.values())
    for slug, _name, parent in data.TEAMS:
        org.teams[slug].parent = org.teams[parent] if parent else None
    Team.objects.bulk_update(org.teams.values(), ["parent"])


def _people_write(org: Organisation, rng: random.Random, now: datetime) -> None:
    names: list[tuple[str, str]] = []
    while len(names) < 124:
        name = (rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES))
        if name not in names:
            names.append(name)
    logins: set[str] = set()
    for first, last in names:
        login = f"{first[0]}{last}".lower()
        while login in logins:
            login += str(rng.randint(1, 9))
        logins.add(login)
        org.people.append(
            Person(
                name=f"{first} {last}",
                email=f"{first}.{last}@{data.EMAIL_DOMAIN}".lower(),
                github_login=login,
                pagerduty_user_id=_pagerduty_id(rng),
                record_source=DEMO,
            )
        )

    leaf_teams = [slug for slug, _n, _p in data.TEAMS if slug not in data.PARENT_TEAMS]
    pool = list(org.people)
    memberships: list[Membership] = []

    def join(person: Person, team: str, role: str) -> None:
        org.members.setdefault(team, []).append(person)
        memberships.append(Membership(person=person, team=org.teams[team], role=role))

    for team in sorted(data.PARENT_TEAMS):
        join(pool.pop(), team, Membership.Role.MANAGER)
        join(pool.pop(), team, Membership.Role.MEMBER)
    for index, person in enumerate(pool):
        team = leaf_teams[index % len(leaf_teams)]
        role = Membership.Role.LEAD if team not in org.leads else Membership.Role.MEMBER
        if role == Membership.Role.LEAD:
            org.leads[team] = person
        join(person, team, role)
    # A few people sit in a second team (SRE embeds, a shared data engineer).
    for person in rng.sample(pool, 8):
        second = rng.choice(leaf_teams)
        if person not in org.members[second]:
            join(person, second, Membership.Role.MEMBER)

    # Departures: never a team lead (the rotas and owners of record of most services stay staffed);
    # three of them still own a service (OWNER_DEPARTED).
    candidates = [p for p in pool if p not in org.leads.values()]
    for person in rng.sample(candidates, 9):
        person.is_active = False
        person.departed_at = now - timedelta(days=rng.randint(5, 80), hours=rng.randint(0, 23))

    Person.objects.bulk_create(org.people)
    Membership.objects.bulk_create(memberships)
    for membership in memberships:
        org.team_of.setdefault(membership.person.pk, []).append(membership.team.slug)


def _services_write(org: Organisation, rng: random.Random, now: datetime) -> None:
    rows = _parse_services()
    departed = [p for p in org.people if not p.is_active]
    departed_owners = iter(departed)
    for row in rows:
        team = row["team"]
        owner = None
        if team and row["slug"] not in data.SERVICES_WITHOUT_OWNER_OF_RECORD:
            if row["slug"] in data.SERVICES_WITH_DEPARTED_OWNER:
                owner = next(departed_owners)
            elif row["tier"] == 1 and rng.random() < 0.6:
                owner = org.leads[team]
            else:
                owner = rng.choice([p for p in org.members[team] if p.is_active])
        if row["slug"] in data.SERVICES_NEVER_CONFIRMED:
            confirmed = None
        elif row["slug"] in data.SERVICES_WITH_STALE_OWNERSHIP:
            confirmed = now - timedelta(days=rng.randint(120, 400))
        else:
            confirmed = now - timedelta(days=rng.randint(1, 75), hours=rng.randint(0, 23))
        flags = row["flags"]
        sensitivity = (
            Service.DataSensitivity.PAYMENTS
            if "pay" in flags
            else Service.DataSensitivity.PERSONAL
            if "pii" in flags
            else Service.DataSensitivity.INTERNAL
            if "int" in flags
            else Service.DataSensitivity.NONE
        )
        slug = row["slug"]
        org.services[slug] = Service(
            name=row["name"],
            slug=slug,
            kind=row["kind"],
            tier=row["tier"],
            lifecycle=Service.Lifecycle.DEPRECATED
            if slug == "legacy-billing"
            else Service.Lifecycle.PRODUCTION,
            customer_facing="cf" in flags,
            data_sensitivity=sensitivity,
            system=org.teams[team].name if team else "",
            owner_team=org.teams[team] if team else None,
            owner_of_record=owner,
            runbook_url=f"https://runbooks.{data.EMAIL_DOMAIN}/{slug}",
            repositories=[f"{data.ORG}/{slug}"],
            pagerduty_service_id=_pagerduty_id(rng),
            dependencies_known=row["known"],
            record_source=DEMO,
            ownership_confirmed_at=confirmed,
        )
        org.depends_on[slug] = [dep.rstrip("?~") for dep in row["deps"]]
    Service.objects.bulk_create(org.services.values())

    edges = []
    for row in rows:
        for dep in row["deps"]:
            target = org.services[dep.rstrip("?~")]
            if dep.endswith("~"):
                kind, criticality = Dependency.Kind.ASYNC, Dependency.Criticality.SOFT
            else:
                kind = (
                    Dependency.Kind.DATASTORE
                    if target.kind == Service.Kind.DATASTORE
                    else Dependency.Kind.SYNC
                )
                criticality = (
                    Dependency.Criticality.SOFT if dep.endswith("?") else Dependency.Criticality.HARD
                )
            edges.append(
                Dependency(
                    from_service=org.services[row["slug"]],
                    to_service=target,
                    kind=kind,
                    criticality=criticality,
                    record_source=DEMO,
                )
            )
    Dependency.objects.bulk_create(edges)

    for slug, service in org.services.items():
        if slug in data.SERVICES_WITHOUT_DEFAULT_ROLLBACK:
            continue
        org.default_plans[slug] = _default_plan(org, rng, now, service)
    RollbackPlan.objects.bulk_create(org.default_plans.values())


def _default_plan(org: Organisation, rng: random.Random, now: datetime, service: Service) -> RollbackPlan:
    roll = rng.random()
    rehearsed = (
        now - timedelta(days=rng.randint(3, 85))
        if roll < 0.6
        else now - timedelta(days=rng.randint(120, 300))
        if roll < 0.85
        else None
    )
    team = service.owner_team.slug if service.owner_team else None
    rehearser = rng.choice(org.members_at(team, rehearsed)) if rehearsed and team else None
    if service.kind == Service.Kind.DATASTORE:
        return RollbackPlan(
            service=service,
            strategy=RollbackPlan.Strategy.FORWARD_FIX_ONLY,
            steps=(
                f"1. Stop writers to {service.slug} (scale consumers to zero).\n"
                "2. Restore the point-in-time backup from before the change into a new instance.\n"
                "3. Repoint the connection secret and restart the writers."
            ),
            expected_minutes=rng.choice([45, 60, 90, 120]),
            data_reversible=False,
            last_rehearsed_at=rehearsed,
            last_rehearsed_by=rehearser,
        )
    return RollbackPlan(
        service=service,
        strategy=RollbackPlan.Strategy.REDEPLOY_PREVIOUS,
        steps=(
            f"1. In the deploy pipeline, open {service.slug} > production.\n"
            f"2. Run `deployctl rollback {service.slug} --to previous`.\n"
            "3. Watch the error rate and p99 on the service dashboard for 10 minutes."
        ),
        expected_minutes=rng.choice([4, 6, 8, 10, 15]),
        data_reversible=True,
        last_rehearsed_at=rehearsed,
        last_rehearsed_by=rehearser,
    )


def _path_owners_write(org: Organisation) -> None:
    """CODEOWNERS per repository. GitHub applies the last matching rule, so order matters."""
    rules = []
    for slug, service in org.services.items():
        repository = service.repositories[0]
        owner_team = service.owner_team.slug if service.owner_team else None
        catch_all = data.CODEOWNERS_DRIFT.get(slug, owner_team)
        lines = []
        if catch_all:
            lines.append(("*", [f"@{data.ORG}/{catch_all}"]))
        if service.kind != Service.Kind.WEBSITE:
            lines.append(
                (
                    "/migrations/",
                    [f"@{data.ORG}/data-infra"] + ([f"@{data.ORG}/{owner_team}"] if owner_team else []),
                )
            )
        lines.append(("/.github/workflows/", [f"@{data.ORG}/devex"]))
        if owner_team and service.owner_of_record:
            lines.append(("/docs/runbook.md", [f"@{service.owner_of_record.github_login}"]))
        for number, (pattern, owners) in enumerate(lines, start=1):
            rules.append(
                PathOwner(
                    repository=repository, pattern=pattern, owners=owners, line=number, record_source=DEMO
                )
            )
    PathOwner.objects.bulk_create(rules)


def _rotas_write(org: Organisation, rng: random.Random, now: datetime) -> None:
    first = now - timedelta(days=90)
    first = (first - timedelta(days=first.weekday())).replace(hour=ROTA_HANDOFF_HOUR)
    horizon = now + timedelta(days=14)
    holes: dict[str, list[tuple[datetime, datetime]]] = {}
    for team, start_hours, end_hours in data.ONCALL_HOLES:
        holes.setdefault(team, []).append(
            (now + timedelta(hours=start_hours), now + timedelta(hours=end_hours))
        )

    rows: list[OnCallShift] = []
    for slug, team in org.teams.items():
        if slug in data.PARENT_TEAMS:
            continue
        offset = rng.randrange(len(org.members[slug]))
        week_start, week = first, 0
        team_shifts: list[Shift] = []
        while week_start < horizon:
            week_end = min(week_start + timedelta(days=7), horizon)
            rota = org.members_at(slug, week_end)
            primary = rota[(week + offset) % len(rota)]
            secondary = rota[(week + offset + 1) % len(rota)]
            for level, person in ((1, primary), (2, secondary)):
                for start, end in _minus_holes(week_start, week_end, holes.get(slug, [])):
                    team_shifts.append(Shift(start=start, end=end, level=level, person=person))
            week_start, week = week_start + timedelta(days=7), week + 1
        team_shifts.sort(key=lambda s: (s.start, s.level))
        org.shifts[slug] = team_shifts
        org.shift_starts[slug] = [s.start for s in team_shifts]
        rows.extend(
            OnCallShift(
                person=s.person,
                team=team,
                schedule_id=team.pagerduty_schedule_id,
                escalation_level=s.level,
                start=s.start,
                end=s.end,
                record_source=DEMO,
            )
            for s in team_shifts
        )
    OnCallShift.objects.bulk_create(rows)


def _minus_holes(
    start: datetime, end: datetime, holes: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    pieces = [(start, end)]
    for hole_start, hole_end in holes:
        pieces = [
            part
            for piece_start, piece_end in pieces
            for part in ((piece_start, min(piece_end, hole_start)), (max(piece_start, hole_end), piece_end))
            if part[0] < part[1]
        ]
    return pieces
