"""Property: the blast radius is exactly brute-force reverse reachability, on random graphs."""

from hypothesis import given, settings
from hypothesis import strategies as st

from accountability.analysis.blast_radius import blast_radius_compute
from accountability.analysis.graph import DependencyGraph, ServiceNode


def node(service_id: int) -> ServiceNode:
    return ServiceNode(
        id=service_id,
        slug=f"s{service_id}",
        name=f"S{service_id}",
        tier=1 + service_id % 4,
        kind="service",
        customer_facing=False,
        data_sensitivity="none",
        dependencies_known=True,
        owner_team_id=None,
    )


def brute_force_depths(edges: list[tuple[int, int]], start: int) -> dict[int, int]:
    """Breadth-first over "who depends on me", written as plainly as possible."""
    depths = {start: 0}
    frontier = [start]
    while frontier:
        following = []
        for target in frontier:
            for dependent, dependency in edges:
                if dependency == target and dependent not in depths:
                    depths[dependent] = depths[target] + 1
                    following.append(dependent)
        frontier = following
    return depths


graphs = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from(["sync", "async", "datastore", "library"]),
                st.sampled_from(["hard", "soft"]),
            ),
            max_size=40,
            unique_by=lambda edge: (edge[0], edge[1]),
        ),
        st.integers(0, n - 1),
    )
)


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_it_equals_brute_force_reachability_with_shortest_depths(case):
    n, edges, start = case
    graph = DependencyGraph(version=1, services=[node(i) for i in range(n)], edges=edges)

    result = blast_radius_compute(graph=graph, service_id=start)

    expected = brute_force_depths([(a, b) for a, b, _, _ in edges if a != b], start)
    assert {item.service.id: item.depth for item in result.impacted} == expected
    for item in result.impacted:
        # Each path is a real chain of "depends on" edges from the changed service, of length depth.
        assert item.path[0] == start and item.path[-1] == item.service.id
        assert len(item.path) == item.depth + 1
        pairs = {(a, b) for a, b, _, _ in edges}
        assert all(
            (later, earlier) in pairs for earlier, later in zip(item.path, item.path[1:], strict=False)
        )
