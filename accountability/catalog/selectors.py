"""Reads of the catalog for the pages: the who-owns-what search and the service page."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import CharField, F, Func, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from accountability.catalog.models import (
    Dependency,
    Membership,
    OnCallShift,
    PathOwner,
    Person,
    Service,
    Team,
)
from accountability.changes.models import Change, Deployment, RollbackPlan

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

    @property
    def empty(self) -> bool:
        return not (self.services or self.teams or self.people or self.paths)


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


def _codeowners_regex(pattern: str) -> re.Pattern:
    """GitHub's CODEOWNERS pattern (gitignore-style) as a regular expression over a repository path.

    A leading or inner slash anchors the pattern at the root, otherwise it matches at any depth; a
    trailing slash means "everything under this directory"; `*` stays within one directory and `**`
    crosses them; a pattern naming a directory also owns the files below it, except after a final `*`.
    """
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    regex, i = "", 0
    while i < len(body):
        if body.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif body.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif body[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif body[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(body[i]), i + 1
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if directory else ("" if body.endswith("*") else "(?:/.*)?")
    return re.compile(f"^{prefix}{regex}{suffix}$")


def _codeowners_match(pattern: str, path: str) -> bool:
    return bool(_codeowners_regex(pattern).match(path.lstrip("/")))


def path_owners(*, repository: str, path: str) -> tuple[str, list[str]] | None:
    """The CODEOWNERS rule that owns `path` in `repository`: the last matching line wins, as on GitHub."""
    try:
        from accountability.catalog.importers.codeowners import path_owners_for
    except ImportError:
        path_owners_for = None
    rules = list(PathOwner.objects.filter(repository__iexact=repository).order_by("line"))
    if not rules:
        return None
    if path_owners_for is not None:
        owners = path_owners_for(repository=rules[0].repository, path=path)
        pattern = next(
            (
                rule.pattern
                for rule in reversed(rules)
                if rule.owners == owners and _codeowners_match(rule.pattern, path)
            ),
            "",
        )
        return pattern, owners
    for rule in reversed(rules):
        if _codeowners_match(rule.pattern, path):
            return rule.pattern, rule.owners
    return None


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
            | Q(owner_team__slug__iexact=query)
            | Q(owner_team__name__iexact=query)
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
    return results


@dataclass
class OnCall:
    now: list[OnCallShift]
    next: list[OnCallShift]


def team_on_call(*, team: Team | None, at: datetime | None = None) -> OnCall:
    """Who holds the team's pager now, and the next shift(s) to start, by escalation level."""
    if team is None:
        return OnCall(now=[], next=[])
    at = at or timezone.now()
    shifts = OnCallShift.objects.filter(team=team).select_related("person")
    now = list(shifts.filter(start__lte=at, end__gt=at).order_by("escalation_level", "start"))
    upcoming = list(shifts.filter(start__gt=at, start__lte=at + timedelta(days=14)).order_by("start")[:3])
    return OnCall(now=now, next=upcoming)


def service_for_page(*, slug: str) -> Service:
    return (
        _services()
        .select_related("default_rollback_plan", "owner_team__parent")
        .prefetch_related(
            Prefetch(
                "dependencies",
                queryset=Dependency.objects.select_related("to_service__owner_team").order_by(
                    "to_service__name"
                ),
            ),
            Prefetch(
                "dependents",
                queryset=Dependency.objects.select_related("from_service__owner_team").order_by(
                    "from_service__name"
                ),
            ),
        )
        .get(slug=slug)
    )


def service_recent_changes(*, service: Service, limit: int = 10) -> list[Change]:
    """The last changes of a service with where they went and how each is rolled back."""
    return list(
        Change.objects.filter(service=service)
        .select_related("rollback_plan", "provenance")
        .prefetch_related(
            Prefetch("deployments", queryset=Deployment.objects.order_by("-finished_at", "-id")),
        )
        .order_by("-merged_at", "-id")[:limit]
    )


def rollback_plan_for(*, change: Change, service_default: RollbackPlan | None) -> RollbackPlan | None:
    """A change's own plan, else the one it inherits from its service."""
    try:
        return change.rollback_plan
    except RollbackPlan.DoesNotExist:
        return service_default
