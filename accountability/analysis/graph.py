"""The dependency graph in memory, one copy per process, rebuilt when the database says it changed.

rustworkx was measured against networkx on the DESIGN §16 organisation (docs/PERFORMANCE.md): the
walk from one service is done in Rust, an order of magnitude faster than networkx's pure Python.

The graph stores edges *backwards*: `Dependency(from=A, to=B)` ("A depends on B") becomes an edge
B → A, "if B misbehaves, A can break", so the blast radius of B is what is reachable from B.
"""

import math
import threading
from dataclasses import dataclass

import rustworkx as rx
from django.db import connection

from accountability.catalog.models import Dependency, Service

# Dijkstra minimises a sum, so each edge costs one hop (dominant) plus -ln(decay): the cheapest path
# is a shortest one in hops and, among those, the one whose decays multiply to the largest weight.
HOP_COST = 1000.0
SYNC_HARD_DECAY = 0.5
ASYNC_OR_SOFT_DECAY = 0.25


@dataclass(frozen=True, slots=True)
class ServiceNode:
    id: int
    slug: str
    name: str
    tier: int
    kind: str
    customer_facing: bool
    data_sensitivity: str
    dependencies_known: bool
    owner_team_id: int | None


@dataclass(frozen=True, slots=True)
class Edge:
    kind: str
    criticality: str
    decay: float
    cost: float


def edge_decay(*, kind: str, criticality: str) -> float:
    if kind == Dependency.Kind.ASYNC or criticality == Dependency.Criticality.SOFT:
        return ASYNC_OR_SOFT_DECAY
    return SYNC_HARD_DECAY


class DependencyGraph:
    """An immutable snapshot of services and dependencies at one graph version."""

    def __init__(self, *, version: int, services: list[ServiceNode], edges: list[tuple[int, int, str, str]]):
        self.version = version
        self.graph: rx.PyDiGraph = rx.PyDiGraph(check_cycle=False, multigraph=False)
        indices = self.graph.add_nodes_from(services)
        self.index_of: dict[int, int] = {
            node.id: index for node, index in zip(services, indices, strict=True)
        }
        # Services with at least one edge in or out: "no dependency data at all" is the absence of both.
        self.with_edges: set[int] = set()
        # datastore service id → ids of the services that use it (for schema-migration widening).
        self.datastore_users: dict[int, list[int]] = {}
        self.datastores_of: dict[int, list[int]] = {}
        backward = []
        for from_id, to_id, kind, criticality in edges:
            self.with_edges.add(from_id)
            self.with_edges.add(to_id)
            if from_id == to_id:
                # A service depending on itself adds nothing: it is in its own radius at depth 0.
                continue
            decay = edge_decay(kind=kind, criticality=criticality)
            payload = Edge(kind=kind, criticality=criticality, decay=decay, cost=HOP_COST - math.log(decay))
            backward.append((self.index_of[to_id], self.index_of[from_id], payload))
            if kind == Dependency.Kind.DATASTORE:
                self.datastore_users.setdefault(to_id, []).append(from_id)
                self.datastores_of.setdefault(from_id, []).append(to_id)
        self.graph.add_edges_from(backward)

    def node(self, service_id: int) -> ServiceNode:
        return self.graph[self.index_of[service_id]]

    def dependencies_within(self, *, service_ids: list[int], hops: int) -> dict[int, int]:
        """Services that the given services depend on, up to `hops` away: {service id: hops}."""
        found = {service_id: 0 for service_id in service_ids if service_id in self.index_of}
        frontier = [self.index_of[service_id] for service_id in found]
        for depth in range(1, hops + 1):
            next_frontier = []
            for index in frontier:
                # Backward edges: the predecessors of A are the services A depends on.
                for neighbour in self.graph.predecessor_indices(index):
                    service_id = self.graph[neighbour].id
                    if service_id not in found:
                        found[service_id] = depth
                        next_frontier.append(neighbour)
            frontier = next_frontier
        return found


_lock = threading.Lock()
_cached: DependencyGraph | None = None


def graph_version_current() -> int:
    """The committed graph version (0 when nothing was ever written)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM analysis_graphversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def graph_build(*, version: int) -> DependencyGraph:
    services = [
        ServiceNode(*row)
        for row in Service.objects.order_by().values_list(
            "id",
            "slug",
            "name",
            "tier",
            "kind",
            "customer_facing",
            "data_sensitivity",
            "dependencies_known",
            "owner_team_id",
        )
    ]
    edges = list(
        Dependency.objects.order_by().values_list("from_service_id", "to_service_id", "kind", "criticality")
    )
    return DependencyGraph(version=version, services=services, edges=edges)


def graph_get() -> DependencyGraph:
    """The process's graph, rebuilt first if the database holds a newer version.

    1. Read the committed version (one single-row query).
    2. If the cached graph has that version, return it.
    3. Otherwise rebuild from Service and Dependency and cache it. The version is read *before* the
       rows, so a write committed in between only makes the next call rebuild again.
    """
    global _cached
    version = graph_version_current()
    cached = _cached
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        if _cached is None or _cached.version != version:
            _cached = graph_build(version=version)
        return _cached
