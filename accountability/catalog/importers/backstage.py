"""Backstage catalog → catalog: Group → Team, User → Person, Component/Resource → Service, dependencies.

Input is what Backstage itself reads or serves: catalog-info.yaml files (several documents per file) or the
catalog API's JSON (a list of entities, or `{"items": [...]}`). The whole set is imported as one snapshot, so
`consumesApis` can be resolved through the API's providing component.

Mapping decisions (the spec is silent on these):
- Component → Service of kind service / website / library by `spec.type`; Resource → Service, of kind
  datastore when `spec.type` is a database; System and Domain are not services (a System names
  `Service.system`); API entities only resolve `consumesApis` to the component that `providesApis` them.
- `spec.owner` → the owning Team (a Group ref, the default kind) or the owner of record (a User ref).
  A group that appears nowhere is created as a team, so the ownership stays visible instead of lost.
- `dependsOn` → Dependency (datastore kind towards a database Resource, sync otherwise); `consumesApis` →
  a sync Dependency on the API's provider; `subcomponentOf` → the parent depends on its subcomponent.
  Edges from Backstage of an imported component are replaced; hand-entered edges are left alone.
- Annotations: `github.com/project-slug` → repositories, `pagerduty.com/service-id` → PagerDuty service id;
  a link titled or typed "runbook" → runbook URL; tier and the kind and criticality of dependencies from the
  documented conventions of backstage_words.py.
"""

import json
import re
from dataclasses import dataclass, field

import yaml
from django.db import transaction
from django.utils.text import slugify

from accountability.catalog.importers.backstage_words import (
    entity_dependency_words,
    entity_pagerduty_environments,
    entity_tier,
)
from accountability.catalog.links import link_or_blank
from accountability.catalog.models import (
    Dependency,
    Membership,
    Person,
    RecordSource,
    Service,
    Team,
)
from accountability.storable import storable

NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
DATABASE_TYPES = {"database", "db", "datastore", "postgres", "postgresql", "mysql", "redis", "cache"}
SERVICE_KINDS = {
    "service": Service.Kind.SERVICE,
    "website": Service.Kind.WEBSITE,
    "library": Service.Kind.LIBRARY,
}


class CatalogParseError(ValueError):
    """A catalog document that cannot be read at all."""


@dataclass
class ImportResult:
    teams: int = 0
    people: int = 0
    services: int = 0
    dependencies: int = 0
    problems: list[str] = field(default_factory=list)


# The team's Slack channel, as Backstage's Slack integrations annotate a Group.
SLACK_CHANNEL_ANNOTATION = "slack.com/channel"

Ref = tuple[str, str, str]  # (kind, namespace, name), kind lower-case


def entities_parse(text: str | bytes) -> list[dict]:
    """Entities of a catalog-info.yaml (multi-document) or of the catalog API's JSON."""
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise CatalogParseError("the catalog is not UTF-8 text") from None
    stripped = text.lstrip()
    try:
        if stripped.startswith(("[", "{")) and not stripped.startswith("{{"):
            data = json.loads(text)
            documents = data.get("items", [data]) if isinstance(data, dict) else data
        else:
            documents = list(yaml.safe_load_all(text))
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise CatalogParseError(f"not a catalog file: {str(error).splitlines()[0]}") from None
    if not isinstance(documents, list):
        raise CatalogParseError("the catalog JSON is neither a list of entities nor {'items': [...]}")
    return [document for document in documents if document is not None]


def ref_parse(ref: str, *, default_kind: str, default_namespace: str = "default") -> Ref:
    """`[kind:][namespace/]name` → (kind, namespace, name)."""
    kind, _, rest = ref.rpartition(":") if ":" in ref else ("", "", ref)
    namespace, _, name = rest.rpartition("/") if "/" in rest else ("", "", rest)
    return (kind or default_kind).lower(), namespace or default_namespace, name


def _slug(namespace: str, name: str) -> str:
    return slugify(name if namespace == "default" else f"{namespace}-{name}")[:100]


def _valid(entity) -> tuple[Ref | None, str]:
    if not isinstance(entity, dict):
        return None, "a document that is not a mapping"
    kind, metadata = entity.get("kind"), entity.get("metadata")
    if not isinstance(kind, str) or not isinstance(metadata, dict):
        return None, "an entity without kind or metadata"
    name, namespace = metadata.get("name"), metadata.get("namespace") or "default"
    if not isinstance(namespace, str) or not NAME.match(namespace):
        return None, f"{kind} {name!r} with an invalid namespace {namespace!r}"
    if not isinstance(name, str) or not NAME.match(name):
        return None, f"{kind} with an invalid name {name!r}"
    if not isinstance(entity.get("spec", {}), dict):
        return None, f"{kind} {name} has a spec that is not a mapping"
    return (kind.lower(), str(namespace), name), ""


def _refs(value, *, default_kind: str, namespace: str) -> list[Ref]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [
        ref_parse(v, default_kind=default_kind, default_namespace=namespace)
        for v in value
        if isinstance(v, str)
    ]


def catalog_import(*, entities: list[dict]) -> ImportResult:
    """Import one snapshot of Backstage entities. Idempotent: importing it again changes nothing.

    1. Validate every entity and index it by (kind, namespace, name); skip invalid ones with a problem.
    2. Groups → teams (then their parents), Users → people and memberships.
    3. Components and Resources → services with owner, lifecycle, system, repositories, runbook.
    4. Dependencies from dependsOn, consumesApis (through the API's provider) and subcomponentOf.
    """
    result = ImportResult()
    index: dict[Ref, dict] = {}
    for entity in storable(entities):
        ref, problem = _valid(entity)
        if ref is None:
            result.problems.append(f"skipped {problem}")
            continue
        index[ref] = entity

    with transaction.atomic():
        teams = _teams_import(index, result)
        people = _people_import(index, teams, result)
        services = _services_import(index, teams, people, result)
        _dependencies_import(index, services, result)
    return result


def _spec(entity: dict) -> dict:
    return entity.get("spec") or {}


def _annotations(entity: dict) -> dict:
    annotations = entity["metadata"].get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _profile(entity: dict) -> dict:
    profile = _spec(entity).get("profile")
    return profile if isinstance(profile, dict) else {}


def _team_for(ref: Ref, teams: dict[Ref, Team], result: ImportResult) -> Team:
    """The team of a group ref; a group known only by reference is created, so ownership is not lost."""
    if ref not in teams:
        team, created = Team.objects.get_or_create(
            slug=_slug(ref[1], ref[2]), defaults={"name": ref[2], "record_source": RecordSource.BACKSTAGE}
        )
        teams[ref] = team
        result.teams += int(created)
    return teams[ref]


def _teams_import(index: dict[Ref, dict], result: ImportResult) -> dict[Ref, Team]:
    teams: dict[Ref, Team] = {}
    groups = {ref: entity for ref, entity in index.items() if ref[0] == "group"}
    for ref, entity in groups.items():
        profile = _profile(entity)
        email = profile.get("email") if isinstance(profile.get("email"), str) else ""
        defaults = {
            "name": str(profile.get("displayName") or entity["metadata"].get("title") or ref[2])[:200],
            "email": email[:254],
            "record_source": RecordSource.BACKSTAGE,
        }
        channel = _annotations(entity).get(SLACK_CHANNEL_ANNOTATION)
        if isinstance(channel, str) and channel.strip():
            # Where the team hears about its sign-offs and incidents (docs/notify.md); absent, a channel
            # set by hand stays.
            defaults["chat_channel"] = channel.strip().lstrip("#")[:200]
        team, _ = Team.objects.update_or_create(slug=_slug(ref[1], ref[2]), defaults=defaults)
        teams[ref] = team
        result.teams += 1
    for ref, entity in groups.items():
        parents = _refs(_spec(entity).get("parent"), default_kind="group", namespace=ref[1])
        if not parents:
            continue
        team, parent = teams[ref], _team_for(parents[0], teams, result)
        if parent.pk != team.pk and team.parent_id != parent.pk:
            team.parent = parent
            team.save(update_fields=["parent"])
    return teams


def _people_import(index: dict[Ref, dict], teams: dict[Ref, Team], result: ImportResult) -> dict[Ref, Person]:
    people: dict[Ref, Person] = {}
    for ref, entity in index.items():
        if ref[0] != "user":
            continue
        profile = _profile(entity)
        email = str(profile.get("email") or "").strip()
        login = str(_annotations(entity).get("github.com/user-login") or "").strip()
        name = str(profile.get("displayName") or "").strip() or ref[2]
        person = (
            (Person.objects.filter(email__iexact=email).first() if email else None)
            or (Person.objects.filter(github_login__iexact=login).first() if login else None)
            or Person.objects.filter(name=name, record_source=RecordSource.BACKSTAGE, email=email).first()
            or Person(record_source=RecordSource.BACKSTAGE)
        )
        person.name = name[:200]
        # A handle identifies one person only: one already another person's is reported, not taken over.
        others = Person.objects.exclude(pk=person.pk)
        if email and others.filter(email__iexact=email).exists():
            result.problems.append(f"user {ref[2]}: e-mail {email} belongs to another person")
        elif email:
            person.email = email[:254]
        if login and others.filter(github_login__iexact=login).exists():
            result.problems.append(f"user {ref[2]}: GitHub login {login} belongs to another person")
        elif login:
            person.github_login = login[:100]
        person.save()
        people[ref] = person
        result.people += 1
        for team_ref in _refs(_spec(entity).get("memberOf"), default_kind="group", namespace=ref[1]):
            Membership.objects.get_or_create(person=person, team=_team_for(team_ref, teams, result))
    return people


def _service_kind(ref: Ref, entity: dict) -> str:
    kind = str(_spec(entity).get("type") or "").lower()
    if ref[0] == "resource":
        return Service.Kind.DATASTORE if kind in DATABASE_TYPES else Service.Kind.SERVICE
    return SERVICE_KINDS.get(kind, Service.Kind.SERVICE)


def _runbook(entity: dict) -> str:
    links = entity["metadata"].get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict):
            continue
        label = f"{link.get('title', '')} {link.get('type', '')}".lower()
        if "runbook" in label and link_or_blank(link.get("url"), limit=200):
            return link["url"].strip()
    return ""


def _owner_defaults(
    ref: Ref, spec: dict, teams: dict[Ref, Team], people: dict[Ref, Person], result: ImportResult
) -> dict:
    """The service's owner: a group is its team; a user is its owner of record, in that user's first team."""
    owned: dict = {}
    owners = _refs(spec.get("owner"), default_kind="group", namespace=ref[1])
    if owners and owners[0][0] == "user":
        owner = people.get(owners[0])
        if owner is None:
            result.problems.append(f"{ref[0]} {ref[2]}: owner {owners[0][2]} is not a known user")
        else:
            owned["owner_of_record"] = owner
            membership = owner.memberships.select_related("team").first()
            if membership is not None:
                owned["owner_team"] = membership.team
    elif owners and owners[0][0] == "group":
        owned["owner_team"] = _team_for(owners[0], teams, result)
    elif owners:
        result.problems.append(
            f"{ref[0]} {ref[2]}: owner {spec.get('owner')!r} is neither a group nor a user"
        )
    return owned


def _services_import(
    index: dict[Ref, dict], teams: dict[Ref, Team], people: dict[Ref, Person], result: ImportResult
) -> dict[Ref, Service]:
    services: dict[Ref, Service] = {}
    systems = {ref: entity for ref, entity in index.items() if ref[0] == "system"}
    for ref, entity in index.items():
        if ref[0] not in ("component", "resource"):
            continue
        spec = _spec(entity)
        annotations = _annotations(entity)
        defaults = {
            "name": str(entity["metadata"].get("title") or ref[2])[:200],
            "kind": _service_kind(ref, entity),
            "record_source": RecordSource.BACKSTAGE,
            # Backstage is now this service's source of dependency truth: no edges means none.
            "dependencies_known": True,
        }
        lifecycle = str(spec.get("lifecycle") or "").lower()
        if lifecycle in Service.Lifecycle.values:
            defaults["lifecycle"] = lifecycle
        system_refs = _refs(spec.get("system"), default_kind="system", namespace=ref[1])
        if system_refs:
            system = systems.get(system_refs[0])
            defaults["system"] = str((system or {}).get("metadata", {}).get("title") or system_refs[0][2])[
                :200
            ]
        defaults.update(_owner_defaults(ref, spec, teams, people, result))
        project = annotations.get("github.com/project-slug")
        if isinstance(project, str) and project:
            defaults["repositories"] = [project[:200]]
        pagerduty_id = annotations.get("pagerduty.com/service-id")
        slug = _slug(ref[1], ref[2])
        if isinstance(pagerduty_id, str) and pagerduty_id:
            if Service.objects.filter(pagerduty_service_id=pagerduty_id).exclude(slug=slug).exists():
                result.problems.append(f"{ref[2]}: PagerDuty service {pagerduty_id} is another service's")
            else:
                defaults["pagerduty_service_id"] = pagerduty_id[:64]
        runbook = _runbook(entity)
        if runbook:
            defaults["runbook_url"] = runbook
        environments, problems = entity_pagerduty_environments(entity)
        result.problems.extend(f"{ref[2]}: {problem}" for problem in problems)
        if environments:
            defaults["pagerduty_environments"] = environments
        tier, problem = entity_tier(entity)
        if tier is not None:
            defaults["tier"] = tier
        elif problem:
            result.problems.append(f"{ref[2]}: {problem}")
        service, _ = Service.objects.update_or_create(slug=slug, defaults=defaults)
        services[ref] = service
        result.services += 1
    return services


def _dependencies_import(index: dict[Ref, dict], services: dict[Ref, Service], result: ImportResult) -> None:
    providers: dict[Ref, list[Ref]] = {}
    for ref, entity in index.items():
        if ref[0] == "component":
            for api in _refs(_spec(entity).get("providesApis"), default_kind="api", namespace=ref[1]):
                providers.setdefault(api, []).append(ref)

    def service_for(target: Ref) -> Service | None:
        return services.get(target) or Service.objects.filter(slug=_slug(target[1], target[2])).first()

    wanted: dict[Service, dict[Service, tuple[str, str]]] = {service: {} for service in services.values()}
    hard = Dependency.Criticality.HARD
    for ref, entity in index.items():
        if ref not in services:
            continue
        spec, source = _spec(entity), services[ref]
        words, problems = entity_dependency_words(entity)
        result.problems.extend(f"{ref[2]}: {problem}" for problem in problems)
        targets: list[Ref] = _refs(spec.get("dependsOn"), default_kind="component", namespace=ref[1])
        for api in _refs(spec.get("consumesApis"), default_kind="api", namespace=ref[1]):
            if api[0] == "api":
                if api not in providers:
                    result.problems.append(
                        f"{ref[2]} consumes API {api[2]}, which no imported component provides"
                    )
                targets.extend(providers.get(api, []))
            else:
                targets.append(api)
        for target in targets:
            service = service_for(target)
            if service is None:
                result.problems.append(
                    f"{ref[2]} depends on {target[0]}:{target[2]}, which is not in the catalog"
                )
            elif service != source:
                default = (
                    Dependency.Kind.DATASTORE
                    if service.kind == Service.Kind.DATASTORE
                    else Dependency.Kind.SYNC
                )
                # What the entity says about this edge (backstage_words.py) wins over the default.
                wanted[source][service] = words.get(target[2].lower(), (default, hard))
        for parent in _refs(spec.get("subcomponentOf"), default_kind="component", namespace=ref[1]):
            service = service_for(parent)
            if service is not None and service != source:
                wanted.setdefault(service, {})[source] = (Dependency.Kind.SYNC, hard)

    for source, targets in wanted.items():
        if source in services.values():
            Dependency.objects.filter(from_service=source, record_source=RecordSource.BACKSTAGE).exclude(
                to_service__in=list(targets)
            ).delete()
        for target, (kind, criticality) in targets.items():
            Dependency.objects.update_or_create(
                from_service=source,
                to_service=target,
                defaults={"kind": kind, "criticality": criticality, "record_source": RecordSource.BACKSTAGE},
            )
            result.dependencies += 1
