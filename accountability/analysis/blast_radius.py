"""Blast radius (DESIGN §8): what can break if a change to one service is wrong."""

import math
from dataclasses import dataclass, field
from datetime import datetime

import rustworkx as rx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accountability.analysis.graph import HOP_COST, DependencyGraph, ServiceNode, graph_get
from accountability.analysis.models import BlastRadius
from accountability.catalog.models import OnCallShift, Service, Team
from accountability.changes.models import Change

TIER_WEIGHTS = {1: 1.0, 2: 0.5, 3: 0.25, 4: 0.1}
DOUBLING_SENSITIVITIES = {Service.DataSensitivity.PERSONAL, Service.DataSensitivity.PAYMENTS}


@dataclass(frozen=True, slots=True)
class Impacted:
    service: ServiceNode
    depth: int
    path: tuple[int, ...]  # service ids from the changed service to this one
    weight: float
    via_datastore: int | None = None  # the shared datastore that brought it in, if any


@dataclass(slots=True)
class BlastRadiusResult:
    service_id: int
    unknown: bool
    score: float
    impacted: list[Impacted]
    teams: list[dict] = field(default_factory=list)
    on_call: list[dict] = field(default_factory=list)
    graph_version: int = 0


def service_weight(*, node: ServiceNode) -> float:
    """How much it matters that this service breaks: its tier, doubled once if customers or sensitive
    data are involved (both together still count double: the rule is about kind, not a multiplier chain)."""
    weight = TIER_WEIGHTS.get(node.tier, TIER_WEIGHTS[4])
    if node.customer_facing or node.data_sensitivity in DOUBLING_SENSITIVITIES:
        weight *= 2
    return weight


def _walk(graph: DependencyGraph, *, source: int) -> dict[int, tuple[float, list[int]]]:
    """{node index: (cost, path of node indices)} for everything reachable from `source`."""
    paths = rx.digraph_dijkstra_shortest_paths(graph.graph, source, weight_fn=lambda edge: edge.cost)
    lengths = rx.digraph_dijkstra_shortest_path_lengths(
        graph.graph, source, edge_cost_fn=lambda edge: edge.cost
    )
    result = {source: (0.0, [source])}
    for target, path in paths.items():
        result[target] = (lengths[target], list(path))
    return result


def blast_radius_compute(
    *, graph: DependencyGraph, service_id: int, schema_migration: bool = False
) -> BlastRadiusResult:
    """The impacted services of a change to `service_id`, each with depth, one shortest path and weight.

    1. Walk the backward edges from the service (Dijkstra on hop + decay cost): every reachable service
       is impacted, at its hop depth, along the strongest of its shortest paths.
    2. For a schema migration, every service sharing a datastore with the changed service is hit
       directly (depth 1, through the datastore) and their own dependents are walked the same way;
       each service keeps its cheapest path over all sources.
    3. Weight = tier weight (doubled for customer-facing or personal/payments data) * the product of
       the path's decays (0.5 per sync/hard edge, 0.25 per async or soft edge); the score is the sum.
    4. Unknown: the changed service has no dependency data at all (not confirmed, no edge either way).
    """
    if service_id not in graph.index_of:
        return BlastRadiusResult(service_id=service_id, unknown=True, score=0.0, impacted=[])
    origin = graph.index_of[service_id]
    # best[node index] = (cost, path in node indices, via datastore id)
    best: dict[int, tuple[float, list[int], int | None]] = {}
    for index, (cost, path) in _walk(graph, source=origin).items():
        best[index] = (cost, path, None)

    if schema_migration:
        for datastore_id in graph.datastores_of.get(service_id, []):
            datastore = graph.index_of[datastore_id]
            for user_id in graph.datastore_users.get(datastore_id, []):
                if user_id == service_id:
                    continue
                # The schema change reaches the user through the datastore as one hard hop.
                base_cost = HOP_COST - math.log(0.5)
                prefix = [origin, datastore] if datastore != graph.index_of[user_id] else [origin]
                for index, (cost, path) in _walk(graph, source=graph.index_of[user_id]).items():
                    total = base_cost + cost
                    if index not in best or total < best[index][0]:
                        best[index] = (total, prefix + path, datastore_id)

    impacted = []
    for index, (cost, path, via) in best.items():
        node = graph.graph[index]
        depth = round(cost // HOP_COST) if index != origin else 0
        decay_product = math.exp(-(cost - depth * HOP_COST))
        if via is not None:
            # The datastore hop is one step of depth, though the path names the datastore too.
            depth = max(depth, 1)
        impacted.append(
            Impacted(
                service=node,
                depth=depth,
                path=tuple(graph.graph[i].id for i in path),
                weight=service_weight(node=node) * decay_product,
                via_datastore=via,
            )
        )
    impacted.sort(key=lambda item: (item.depth, -item.weight, item.service.slug))
    changed = graph.node(service_id)
    unknown = not changed.dependencies_known and service_id not in graph.with_edges
    return BlastRadiusResult(
        service_id=service_id,
        unknown=unknown,
        score=round(sum(item.weight for item in impacted), 4),
        impacted=impacted,
        graph_version=graph.version,
    )


def oncall_now_for_teams(*, team_ids: set[int], at: datetime | None = None) -> list[dict]:
    """People on call now for these teams: one entry per person and team, lowest escalation first.

    Overlapping shifts of one person (a hand-over, a double import) count once, until the latest end.
    """
    at = at or timezone.now()
    people: dict[tuple[int, int], dict] = {}
    shifts = (
        OnCallShift.objects.filter(team_id__in=team_ids, start__lte=at, end__gt=at, person__is_active=True)
        .select_related("person")
        .order_by("escalation_level", "start")
    )
    for shift in shifts:
        key = (shift.person_id, shift.team_id)
        entry = people.get(key)
        if entry is None:
            people[key] = {
                "person_id": shift.person_id,
                "name": shift.person.name,
                "team_id": shift.team_id,
                "escalation_level": shift.escalation_level,
                "until": shift.end.isoformat(),
            }
        elif shift.end.isoformat() > entry["until"]:
            entry["until"] = shift.end.isoformat()
    return list(people.values())


def blast_radius_with_people(*, result: BlastRadiusResult, at: datetime | None = None) -> BlastRadiusResult:
    """Adds the owning teams of the impacted services and who is on call for them now (two queries)."""
    counts: dict[int, int] = {}
    for item in result.impacted:
        if item.service.owner_team_id is not None:
            counts[item.service.owner_team_id] = counts.get(item.service.owner_team_id, 0) + 1
    teams = Team.objects.filter(id__in=counts).values("id", "slug", "name")
    result.teams = sorted(
        (
            {
                "team_id": team["id"],
                "slug": team["slug"],
                "name": team["name"],
                "services": counts[team["id"]],
            }
            for team in teams
        ),
        key=lambda team: (-team["services"], team["slug"]),
    )
    result.on_call = oncall_now_for_teams(team_ids=set(counts), at=at) if counts else []
    return result


def blast_radius_for_change(*, change: Change, at: datetime | None = None) -> BlastRadiusResult:
    """The blast radius of a change, computed now from the in-memory graph (not stored)."""
    result = blast_radius_compute(
        graph=graph_get(), service_id=change.service_id, schema_migration=change.touches_schema_migration
    )
    return blast_radius_with_people(result=result, at=at)


def _impacted_json(item: Impacted, *, graph_nodes: dict[int, ServiceNode]) -> dict:
    return {
        "service_id": item.service.id,
        "slug": item.service.slug,
        "name": item.service.name,
        "tier": item.service.tier,
        "depth": item.depth,
        "path": [graph_nodes[service_id].slug for service_id in item.path],
        "weight": round(item.weight, 4),
        "dependencies_known": item.service.dependencies_known,
        "via_datastore": graph_nodes[item.via_datastore].slug if item.via_datastore else None,
    }


def _stored_fields(result: BlastRadiusResult, *, graph: DependencyGraph) -> dict:
    """The stored form of a radius: the list keeps the nearest services up to a limit
    (ANALYSIS_BLAST_RADIUS_STORED_LIMIT) while count and score cover all of them."""
    limit = settings.ANALYSIS_BLAST_RADIUS_STORED_LIMIT
    nodes = {item.service.id: item.service for item in result.impacted}
    for item in result.impacted[:limit]:
        for service_id in (*item.path, item.via_datastore):
            if service_id is not None and service_id not in nodes:
                nodes[service_id] = graph.node(service_id)
    return {
        "score": result.score,
        "unknown": result.unknown,
        "impacted": [_impacted_json(item, graph_nodes=nodes) for item in result.impacted[:limit]],
        "impacted_count": len(result.impacted),
        "unknown_count": sum(1 for item in result.impacted if not item.service.dependencies_known),
        "teams": result.teams,
        "on_call": result.on_call,
        "graph_version": result.graph_version,
    }


def blast_radius_store(*, change: Change, result: BlastRadiusResult) -> BlastRadius:
    fields = _stored_fields(result, graph=graph_get())
    radius, _ = BlastRadius.objects.update_or_create(
        change=change, defaults={**fields, "computed_at": timezone.now()}
    )
    return radius


def blast_radius_store_many(
    *, results: dict[int, BlastRadiusResult], graph: DependencyGraph, now: datetime
) -> None:
    """Stores radii for many changes (change id → result) in one upsert, with teams and on-call
    people filled in from two queries for all of them; changes sharing a result share its JSON."""
    team_ids = {
        item.service.owner_team_id
        for result in results.values()
        for item in result.impacted
        if item.service.owner_team_id is not None
    }
    teams = {team["id"]: team for team in Team.objects.filter(id__in=team_ids).values("id", "slug", "name")}
    on_call_by_team: dict[int, list[dict]] = {}
    for entry in oncall_now_for_teams(team_ids=team_ids, at=now) if team_ids else []:
        on_call_by_team.setdefault(entry["team_id"], []).append(entry)
    stored: dict[int, dict] = {}
    rows = []
    for change_id, result in results.items():
        if id(result) not in stored:
            counts: dict[int, int] = {}
            for item in result.impacted:
                if item.service.owner_team_id is not None:
                    counts[item.service.owner_team_id] = counts.get(item.service.owner_team_id, 0) + 1
            result.teams = sorted(
                (
                    {"team_id": t, "slug": teams[t]["slug"], "name": teams[t]["name"], "services": n}
                    for t, n in counts.items()
                    if t in teams
                ),
                key=lambda team: (-team["services"], team["slug"]),
            )
            result.on_call = [entry for t in counts for entry in on_call_by_team.get(t, [])]
            stored[id(result)] = _stored_fields(result, graph=graph)
        rows.append(BlastRadius(change_id=change_id, computed_at=now, **stored[id(result)]))
    BlastRadius.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["change"],
        update_fields=[*next(iter(stored.values()), {}).keys(), "computed_at"] if stored else ["computed_at"],
    )


@transaction.atomic
def blast_radius_refresh(*, change: Change) -> BlastRadius:
    return blast_radius_store(change=change, result=blast_radius_for_change(change=change))


def blast_radius_for(*, change: Change) -> BlastRadius | None:
    """The stored blast radius of a change, or None when it was never computed."""
    return BlastRadius.objects.filter(change=change).first()
