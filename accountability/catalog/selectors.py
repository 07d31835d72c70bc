"""Reads of the catalog for the pages: the who-owns-what search and the service page."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from django.db.models import CharField, F, Func, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from accountability.catalog.importers.codeowners import Rule, rule_for_path
from accountability.catalog.models import (
    Dependency,
    Membership,
    OnCallShift,
    PathOwner,
    Person,
    Service,
    Team,
)

SEARCH_LIMIT = 8


@dataclass
class PathMatch:
    repository: str
    path: str
    pattern: str
    owners: list[str]
    teams: list[Team]
    services: list[Service]


@dataclass
class SearchResults:
    query: str
    services: list[Service] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    paths: list[PathMatch] = field(default_factory=list)
    # team id → the people holding that team's pager now, for the services found.
    on_call: dict[int, list[Person]] = field(default_factory=dict)
    # Repositories no service lists that sent deployments or changes (their UNCLAIMED_REPOSITORY gaps):
    # filled by the view from analysis, which this domain module does not import.
    unclaimed: list[str] = field(default_factory=list)
    # Close spellings when nothing matched as typed ("api-gatway" → API Gateway).
    suggestions: list[Service] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.services or self.teams or self.people or self.paths or self.unclaimed)


def _services() -> QuerySet[Service]:
    return Service.objects.select_related("owner_team", "owner_of_record")


def _split_path(query: str) -> tuple[str, str] | None:
    """`owner/repo:path/to/file`, `owner/repo/path/to/file` → (repository, path); None if it is not a path."""
    if ":" in query:
        repository, _, path = query.partition(":")
        return (repository.strip(), path.strip().lstrip("/")) if repository and path else None
    parts = query.strip("/").split("/")
    if len(parts) >= 3:
        return "/".join(parts[:2]), "/".join(parts[2:])
    return None


def path_owners(*, repository: str, path: str) -> tuple[str, list[str]] | None:
    """The CODEOWNERS rule that owns `path` in `repository` (GitHub's rules: the last match wins),
    as (pattern, owners); None when the repository has no rules or none matches."""
    rows = PathOwner.objects.filter(repository__iexact=repository).order_by("line")
    rules = [Rule(line=row.line, pattern=row.pattern, owners=tuple(row.owners)) for row in rows]
    rule = rule_for_path(rules, path.lstrip("/"))
    return (rule.pattern, list(rule.owners)) if rule is not None else None


def _teams_for_owners(owners: list[str]) -> list[Team]:
    """`@org/team-slug` owners name teams by slug; people (`@login`, emails) are not teams."""
    slugs = [owner.split("/", 1)[1] for owner in owners if owner.startswith("@") and "/" in owner]
    return list(Team.objects.filter(slug__in=slugs)) if slugs else []


def catalog_search(*, query: str) -> SearchResults:
    """One box for the incident commander: service, repository, path, team, person or PagerDuty id.

    1. A query shaped like `owner/repo:path` or `owner/repo/path/...` is resolved through CODEOWNERS
       (last matching rule wins) to its owners, their teams, and the services built from that repository.
    2. Services match on name, slug, a repository or their PagerDuty id.
    3. Teams match on name, slug or a PagerDuty schedule / escalation policy id.
    4. People match on name, email, GitHub login or PagerDuty user id.
    Each list is capped, so the answer costs a fixed handful of queries whatever the organisation's size.
    """
    query = query.strip()
    results = SearchResults(query=query)
    if len(query) < 2:
        return results

    split = _split_path(query)
    if split is not None:
        repository, path = split
        found = path_owners(repository=repository, path=path)
        if found is not None:
            pattern, owners = found
            results.paths.append(
                PathMatch(
                    repository=repository,
                    path=path,
                    pattern=pattern,
                    owners=owners,
                    teams=_teams_for_owners(owners),
                    services=list(_services().filter(repositories__contains=[repository])[:SEARCH_LIMIT]),
                )
            )

    repositories = Func(F("repositories"), Value(" "), function="array_to_string", output_field=CharField())
    results.services = list(
        _services()
        .annotate(repository_list=repositories)
        .filter(
            Q(name__icontains=query)
            | Q(slug__icontains=query)
            | Q(repository_list__icontains=query)
            | Q(pagerduty_service_id__iexact=query)
            # A subquery, not the joined team's columns: an OR across a join costs a third more.
            | Q(owner_team__in=Team.objects.filter(Q(slug__iexact=query) | Q(name__iexact=query)))
        )
        .order_by("tier", "name")[:SEARCH_LIMIT]
    )
    results.teams = list(
        Team.objects.filter(
            Q(name__icontains=query)
            | Q(slug__icontains=query)
            | Q(pagerduty_schedule_id__iexact=query)
            | Q(pagerduty_escalation_policy_id__iexact=query)
        )[:SEARCH_LIMIT]
    )
    results.people = list(
        Person.objects.filter(
            Q(name__icontains=query)
            | Q(email__iexact=query)
            | Q(github_login__icontains=query.lstrip("@"))
            | Q(pagerduty_user_id__iexact=query)
        ).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("team")),
            Prefetch(
                "owned_services", queryset=Service.objects.only("id", "name", "slug", "owner_of_record")
            ),
        )[:SEARCH_LIMIT]
    )
    team_ids = {service.owner_team_id for service in results.services if service.owner_team_id}
    results.on_call = on_call_now_by_team(team_ids=team_ids)
    for service in results.services:
        service.on_call_now = results.on_call.get(service.owner_team_id, [])
    on_call_people = on_call_now_by_team(person_ids={person.pk for person in results.people})
    for person in results.people:
        person.on_call_now = on_call_people.get(person.pk, [])
    if not results.services and not results.paths:
        results.suggestions = service_suggestions(query=query)
    return results


# difflib's ratio: 0.6 is its own default cutoff ("api-gatway" against "api-gateway" scores 0.95).
SUGGESTION_CUTOFF = 0.6


def service_suggestions(*, query: str, limit: int = 3) -> list[Service]:
    """Services whose slug or name is spelled like the query, closest first.

    Compared in Python with difflib among the services that share the query's first letter, where a typo
    at 2 a.m. rarely lands. PostgreSQL's pg_trgm would do this in the database, but the embedded server
    of `make run` / `make test` does not ship the extension, and one code path is the one that is tested.
    """
    wanted = query.strip().lower()
    if not wanted:
        return []
    candidates = list(
        Service.objects.filter(Q(slug__istartswith=wanted[0]) | Q(name__istartswith=wanted[0]))
        .only("id", "name", "slug", "tier")
        .order_by("tier", "name")[:5000]
    )
    scored = []
    for service in candidates:
        score = max(
            SequenceMatcher(None, wanted, service.slug.lower()).ratio(),
            SequenceMatcher(None, wanted, service.name.lower()).ratio(),
        )
        if score >= SUGGESTION_CUTOFF:
            scored.append((-score, service.tier, service.name, service))
    return [service for *_, service in sorted(scored, key=lambda row: row[:3])[:limit]]


def on_call_now_by_team(
    *, team_ids: set[int] | None = None, person_ids: set[int] | None = None
) -> dict[int, list]:
    """Who holds a pager now, lowest escalation level first, in one query: the one place the rule is written.

    Given `team_ids`: for each team, the people on call for it (a Person reads as their name, so
    `{{ people|join:", " }}` lists them; `person_link` links each to their page). Given `person_ids` instead:
    for each person, the names of the teams whose pager they hold (a person in the search results).
    """
    by_person = person_ids is not None
    ids = person_ids if by_person else team_ids
    if not ids:
        return {}
    now = timezone.now()
    shifts = (
        OnCallShift.objects.filter(**{f"{'person' if by_person else 'team'}_id__in": ids})
        .filter(start__lte=now, end__gt=now)
        .select_related("person", "team")
        .only("team", "person", "team__name", "person__name", "person__github_login")
        .order_by("escalation_level", "start")
    )
    on_call: dict[int, list] = {}
    for shift in shifts:
        owner, held_by = (shift.person_id, shift.team.name) if by_person else (shift.team_id, shift.person)
        held = on_call.setdefault(owner, [])
        if held_by not in held:
            held.append(held_by)
    return on_call


@dataclass
class OnCall:
    now: list[OnCallShift]
    next: list[OnCallShift]


def team_on_call(*, team: Team | None, at: datetime | None = None) -> OnCall:
    """Who holds the team's pager now, and the next shift(s) to start, by escalation level."""
    if team is None:
        return OnCall(now=[], next=[])
    at = at or timezone.now()
    # One query for both: the shifts not over yet that start within 14 days.
    shifts = list(
        OnCallShift.objects.filter(team=team, end__gt=at, start__lte=at + timedelta(days=14))
        .select_related("person")
        .order_by("start", "escalation_level")
    )
    now = [shift for shift in shifts if shift.start <= at]
    now.sort(key=lambda shift: (shift.escalation_level, shift.start))
    return OnCall(now=now, next=[shift for shift in shifts if shift.start > at][:3])


EDGE_FIELDS = ("from_service", "to_service", "kind", "criticality")


def service_for_page(*, slug: str) -> Service:
    return (
        _services()
        .select_related("default_rollback_plan", "owner_team__parent")
        .prefetch_related(
            # The neighbours' names and slugs only: a datastore has dozens of them.
            Prefetch(
                "dependencies",
                queryset=Dependency.objects.select_related("to_service")
                .only(*EDGE_FIELDS, "to_service__name", "to_service__slug")
                .order_by("to_service__name"),
            ),
            Prefetch(
                "dependents",
                queryset=Dependency.objects.select_related("from_service")
                .only(*EDGE_FIELDS, "from_service__name", "from_service__slug")
                .order_by("from_service__name"),
            ),
        )
        .get(slug=slug)
    )
