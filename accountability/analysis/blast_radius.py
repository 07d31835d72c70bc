"""Blast radius (DESIGN §8): what can break if a change to one service is wrong."""

import json
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accountability.analysis.bulk import upsert_copy
from accountability.analysis.graph import DependencyGraph, ServiceNode, Walk, graph_get
from accountability.analysis.models import BlastRadius
from accountability.changes.models import Change


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
    count: int
    graph_version: int = 0
    teams: list[dict] = field(default_factory=list)
    on_call: list[dict] = field(default_factory=list)
    unknown_count: int = 0
    team_counts: dict[int, int] = field(default_factory=dict)
    # Reached node indices in listing order (nearest, then heaviest); items are built on demand.
    _walk: Walk | None = None
    _order: np.ndarray | None = None
    _weights: np.ndarray | None = None

    def items(self, limit: int | None = None) -> list[Impacted]:
        """The impacted services in listing order, at most `limit` of them."""
        if self._walk is None:
            return []
        walk, graph = self._walk, self._walk.graph
        chosen = self._order if limit is None else self._order[:limit]
        items = []
        for index in chosen.tolist():
            path, through = walk.path(index)
            items.append(
                Impacted(
                    service=graph.graph[index],
                    depth=int(walk.depth[index]),
                    path=tuple(int(graph.ids[i]) for i in path),
                    weight=float(self._weights[index]),
                    via_datastore=int(graph.ids[through]) if through is not None else None,
                )
            )
        return items

    @property
    def impacted(self) -> list[Impacted]:
        return self.items()


def blast_radius_compute(
    *, graph: DependencyGraph, service_id: int, schema_migration: bool = False
) -> BlastRadiusResult:
    """The impacted services of a change to `service_id`, each with depth, one shortest path and weight.

    1. Walk the backward edges from the service breadth-first: every reachable service is impacted,
       at its hop depth, along the strongest of its shortest paths (DependencyGraph.walk).
    2. For a schema migration, every other service using a datastore the changed service uses is
       hit directly (depth 1, through the datastore), and their dependents are walked on from there.
    3. Weight = tier weight (doubled for customer-facing or personal/payments data) * the product of
       the path's decays (0.5 per sync/hard edge, 0.25 per async or soft edge); the score is the sum.
    4. Unknown: the changed service has no dependency data at all (not confirmed, no edge either way).
    """
    if service_id not in graph.index_of:
        return BlastRadiusResult(service_id=service_id, unknown=True, score=0.0, count=0)
    origin = graph.index_of[service_id]
    seeds = []
    if schema_migration:
        for datastore_id in graph.datastores_of.get(service_id, []):
            for user_id in graph.datastore_users.get(datastore_id, []):
                if user_id != service_id:
                    seeds.append((graph.index_of[user_id], graph.index_of[datastore_id]))
    walk = graph.walk(source=origin, seeds=seeds)
    reached = np.flatnonzero(walk.depth >= 0)
    weights = np.zeros(len(graph.ids))
    weights[reached] = graph.weights[reached] * np.exp(walk.log_weight[reached])
    order = reached[np.lexsort((-weights[reached], walk.depth[reached]))]
    teams, counts = np.unique(graph.teams[reached], return_counts=True)
    changed = graph.node(service_id)
    return BlastRadiusResult(
        service_id=service_id,
        unknown=not changed.dependencies_known and not graph.has_edges(service_id),
        score=round(float(weights[reached].sum()), 4),
        count=int(reached.size),
        graph_version=graph.version,
        unknown_count=int((~graph.known[reached]).sum()),
        team_counts={int(team): int(n) for team, n in zip(teams, counts, strict=True) if team != -1},
        _walk=walk,
        _order=order,
        _weights=weights,
    )


ONCALL_NOW_SQL = """
    SELECT shift.person_id, person.name, shift.team_id, shift.escalation_level, shift."end"
    FROM catalog_oncallshift AS shift
    JOIN catalog_person AS person ON person.id = shift.person_id
    WHERE shift.team_id = ANY(%s) AND shift.start <= %s AND shift."end" > %s AND person.is_active
    ORDER BY shift.escalation_level, shift.start
"""


def oncall_now_for_teams(*, team_ids: set[int], at: datetime | None = None) -> list[dict]:
    """People on call now for these teams: one entry per person and team, lowest escalation first.

    Overlapping shifts of one person (a hand-over, a double import) count once, until the latest end.
    A radius can span hundreds of teams: the ids go as one array parameter and rows come back as
    tuples, which keeps this to a few milliseconds where model instances took twenty.
    """
    at = at or timezone.now()
    people: dict[tuple[int, int], dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(ONCALL_NOW_SQL, [list(team_ids), at, at])
        rows = cursor.fetchall()
    for person_id, name, team_id, level, end in rows:
        entry = people.get((person_id, team_id))
        if entry is None:
            people[(person_id, team_id)] = {
                "person_id": person_id,
                "name": name,
                "team_id": team_id,
                "escalation_level": level,
                "until": end,
            }
        elif end > entry["until"]:
            entry["until"] = end
    for entry in people.values():
        entry["until"] = entry["until"].isoformat()
    return list(people.values())


def _teams_json(counts: dict[int, int], *, graph: DependencyGraph) -> list[dict]:
    return sorted(
        (
            {
                "team_id": team_id,
                "slug": graph.teams_by_id[team_id][0],
                "name": graph.teams_by_id[team_id][1],
                "services": n,
            }
            for team_id, n in counts.items()
            if team_id in graph.teams_by_id
        ),
        key=lambda team: (-team["services"], team["slug"]),
    )


def blast_radius_with_people(
    *, result: BlastRadiusResult, graph: DependencyGraph, at: datetime | None = None
) -> BlastRadiusResult:
    """Adds the owning teams of the impacted services (from the graph) and who is on call for them
    now (one query)."""
    result.teams = _teams_json(result.team_counts, graph=graph)
    result.on_call = (
        oncall_now_for_teams(team_ids=set(result.team_counts), at=at) if result.team_counts else []
    )
    return result


def blast_radius_for_change(*, change: Change, at: datetime | None = None) -> BlastRadiusResult:
    """The blast radius of a change, computed now from the in-memory graph (not stored)."""
    graph = graph_get()
    result = blast_radius_compute(
        graph=graph, service_id=change.service_id, schema_migration=change.touches_schema_migration
    )
    return blast_radius_with_people(result=result, graph=graph, at=at)


def _impacted_json(item: Impacted, *, graph: DependencyGraph) -> dict:
    return {
        "service_id": item.service.id,
        "slug": item.service.slug,
        "name": item.service.name,
        "tier": item.service.tier,
        "depth": item.depth,
        "path": [graph.node(service_id).slug for service_id in item.path],
        "weight": round(item.weight, 4),
        "dependencies_known": item.service.dependencies_known,
        "via_datastore": graph.node(item.via_datastore).slug if item.via_datastore else None,
    }


def _stored_fields(result: BlastRadiusResult, *, graph: DependencyGraph) -> dict:
    """The stored form of a radius: the list keeps the nearest services up to a limit
    (ANALYSIS_BLAST_RADIUS_STORED_LIMIT) while count and score cover all of them."""
    limit = settings.ANALYSIS_BLAST_RADIUS_STORED_LIMIT
    return {
        "score": result.score,
        "unknown": result.unknown,
        "impacted": [_impacted_json(item, graph=graph) for item in result.items(limit)],
        "impacted_count": result.count,
        "unknown_count": result.unknown_count,
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


STORED_COLUMNS = [
    "change_id",
    "score",
    "unknown",
    "impacted",
    "impacted_count",
    "unknown_count",
    "teams",
    "on_call",
    "graph_version",
    "computed_at",
]


def blast_radius_store_many(
    *, results: dict[int, BlastRadiusResult], graph: DependencyGraph, now: datetime
) -> None:
    """Stores radii for many changes (change id → result) in one COPY upsert, with teams and on-call
    people filled in from two queries for all of them; changes sharing a result share its JSON."""
    team_ids = {team_id for result in results.values() for team_id in result.team_counts}
    on_call_by_team: dict[int, list[dict]] = {}
    for entry in oncall_now_for_teams(team_ids=team_ids, at=now) if team_ids else []:
        on_call_by_team.setdefault(entry["team_id"], []).append(entry)
    encoded: dict[int, tuple] = {}
    rows = []
    for change_id, result in results.items():
        if id(result) not in encoded:
            counts = result.team_counts
            result.teams = _teams_json(counts, graph=graph)
            result.on_call = [entry for t in counts for entry in on_call_by_team.get(t, [])]
            fields = _stored_fields(result, graph=graph)
            encoded[id(result)] = (
                fields["score"],
                fields["unknown"],
                json.dumps(fields["impacted"]),
                fields["impacted_count"],
                fields["unknown_count"],
                json.dumps(fields["teams"]),
                json.dumps(fields["on_call"]),
                fields["graph_version"],
            )
        rows.append((change_id, *encoded[id(result)], now))
    upsert_copy(
        table=BlastRadius._meta.db_table,
        columns=STORED_COLUMNS,
        rows=rows,
        conflict=["change_id"],
        update=STORED_COLUMNS[1:],
    )


@transaction.atomic
def blast_radius_refresh(*, change: Change) -> BlastRadius:
    return blast_radius_store(change=change, result=blast_radius_for_change(change=change))


def blast_radius_for(*, change: Change) -> BlastRadius | None:
    """The stored blast radius of a change, or None when it was never computed."""
    return BlastRadius.objects.filter(change=change).first()
