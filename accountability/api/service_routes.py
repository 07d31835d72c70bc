"""GET /services, /services/{slug} and /owners: who owns what, and who holds the pager now."""

from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accountability.analysis.change_selectors import service_recent_changes
from accountability.api.auth import ScopedTokenAuth
from accountability.api.errors import ApiError, reject_unknown_query
from accountability.api.models import ApiToken
from accountability.api.outputs import (
    ErrorOut,
    OnCallOut,
    PersonRef,
    ServiceRef,
    TeamRef,
    person_ref,
    service_ref,
    team_ref,
)
from accountability.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_unique
from accountability.catalog.importers.codeowners import Rule, rule_for_path
from accountability.catalog.models import PathOwner, Service, Team
from accountability.catalog.selectors import (
    service_for_page,
    team_on_call,
)
from accountability.changes.models import AIProvenance
from accountability.changes.rollback import rollback_plan_for

router = Router(tags=["services"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ServiceFilters(Schema):
    team: str | None = Field(default=None, max_length=100, description="Owning team's slug")
    tier: int | None = Field(default=None, ge=1, le=4)
    q: str | None = Field(default=None, max_length=200, description="Part of the name, slug or a repository")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2000)


class ServiceItemOut(ServiceRef):
    lifecycle: str
    customer_facing: bool
    data_sensitivity: str
    team: TeamRef | None
    owner_of_record: PersonRef | None = Field(description="The DRI; empty is an ownership gap")
    runbook_url: str
    repositories: list[str]
    pagerduty_service_id: str


class ServicePage(Schema):
    items: list[ServiceItemOut]
    next_cursor: str | None


class RecentChangeOut(Schema):
    id: int
    sha: str
    title: str
    merged_at: datetime | None
    ai_level: str
    environments: list[str]
    rollback_strategy: str | None = Field(description="How it is rolled back (own or inherited plan)")
    rollback_steps: str | None


class ServiceDetailOut(ServiceItemOut):
    escalation_contact: str
    chat_channel: str
    on_call_now: list[OnCallOut]
    depends_on: list[str] = Field(description="Slugs of the services this one depends on")
    dependents: list[str] = Field(description="Slugs of the services that depend on this one")
    dependencies_known: bool
    recent_changes: list[RecentChangeOut]


class OwnersOut(Schema):
    repository: str
    path: str
    pattern: str | None = Field(description="The CODEOWNERS rule that owns the path (last match wins)")
    line: int | None
    owners: list[str] = Field(description="As written in CODEOWNERS; empty when matched but left unowned")
    teams: list[TeamRef] = Field(description="Catalogued teams among the owners (@org/team-slug)")
    services: list[ServiceItemOut] = Field(description="Services built from the repository")


def _service_item(service: Service) -> dict:
    return {
        **service_ref(service).dict(),
        "lifecycle": service.lifecycle,
        "customer_facing": service.customer_facing,
        "data_sensitivity": service.data_sensitivity,
        "team": team_ref(service.owner_team),
        "owner_of_record": person_ref(service.owner_of_record),
        "runbook_url": service.runbook_url,
        "repositories": service.repositories,
        "pagerduty_service_id": service.pagerduty_service_id,
    }


@router.get(
    "/services",
    response={200: ServicePage, **READ_ERRORS},
    summary="Services, by slug",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def service_list(request: HttpRequest, filters: Query[ServiceFilters]):
    reject_unknown_query(request, ServiceFilters)
    services = Service.objects.select_related("owner_team", "owner_of_record")
    if filters.team:
        services = services.filter(owner_team__slug=filters.team)
    if filters.tier:
        services = services.filter(tier=filters.tier)
    if filters.q:
        services = services.filter(
            Q(name__icontains=filters.q) | Q(slug__icontains=filters.q) | Q(repositories__icontains=filters.q)
        )
    rows, next_cursor = page_by_unique(
        services, field="slug", kind="services", cursor=filters.cursor, limit=filters.limit
    )
    return {"items": [_service_item(service) for service in rows], "next_cursor": next_cursor}


@router.get(
    "/services/{slug}",
    response={200: ServiceDetailOut, **READ_ERRORS},
    summary="A service: owner of record, team, on call now, dependencies both ways, recent changes",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def service_detail(request: HttpRequest, slug: str):
    reject_unknown_query(request)
    try:
        service = service_for_page(slug=slug)
    except Service.DoesNotExist:
        raise ApiError(404, f"no service {slug!r}") from None
    default_plan = getattr(service, "default_rollback_plan", None)
    recent = []
    for change in service_recent_changes(service=service):
        plan = rollback_plan_for(change=change, service_default=default_plan)
        # A missing reverse one-to-one raises a subclass of AttributeError, so getattr's default applies.
        provenance = getattr(change, "provenance", None)
        recent.append(
            {
                "id": change.id,
                "sha": change.sha,
                "title": change.title,
                "merged_at": change.merged_at,
                "ai_level": provenance.level if provenance else AIProvenance.Level.UNKNOWN,
                "environments": sorted({d.environment for d in change.deployments.all()}),
                "rollback_strategy": plan.strategy if plan else None,
                "rollback_steps": plan.steps if plan else None,
            }
        )
    on_call = team_on_call(team=service.owner_team)
    return {
        **_service_item(service),
        "escalation_contact": service.owner_team.escalation_contact if service.owner_team else "",
        "chat_channel": service.owner_team.chat_channel if service.owner_team else "",
        "on_call_now": [
            {
                "person": person_ref(shift.person),
                "team": service.owner_team.slug,
                "escalation_level": shift.escalation_level,
                "until": shift.end,
            }
            for shift in on_call.now
        ],
        "depends_on": [edge.to_service.slug for edge in service.dependencies.all()],
        "dependents": [edge.from_service.slug for edge in service.dependents.all()],
        "dependencies_known": service.dependencies_known,
        "recent_changes": recent,
    }


class OwnersQuery(Schema):
    repository: str = Field(min_length=3, max_length=200, description="owner/name")
    path: str = Field(min_length=1, max_length=1000, description="A file or directory path in it")


@router.get(
    "/owners",
    response={200: OwnersOut, **READ_ERRORS},
    summary="Who owns a path of a repository (CODEOWNERS, last matching rule wins)",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def owners_lookup(request: HttpRequest, query: Query[OwnersQuery]):
    reject_unknown_query(request, OwnersQuery)
    rows = list(PathOwner.objects.filter(repository__iexact=query.repository).order_by("line"))
    if not rows:
        raise ApiError(
            404,
            f"no CODEOWNERS rules are known for {query.repository}",
            [{"field": "query.repository", "message": "import its CODEOWNERS first"}],
        )
    rule = rule_for_path(
        [Rule(line=r.line, pattern=r.pattern, owners=tuple(r.owners)) for r in rows], query.path
    )
    owners = list(rule.owners) if rule else []
    slugs = [owner.split("/", 1)[1] for owner in owners if owner.startswith("@") and "/" in owner]
    teams = list(Team.objects.filter(slug__in=slugs).order_by("slug")) if slugs else []
    services = Service.objects.select_related("owner_team", "owner_of_record").filter(
        repositories__contains=[rows[0].repository]
    )
    return {
        "repository": rows[0].repository,
        "path": query.path,
        "pattern": rule.pattern if rule else None,
        "line": rule.line if rule else None,
        "owners": owners,
        "teams": [team_ref(team) for team in teams],
        "services": [_service_item(service) for service in services.order_by("slug")[:20]],
    }
