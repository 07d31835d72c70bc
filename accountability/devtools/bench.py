"""`make bench`: generate the DESIGN §16 organisation in its own database and time the analysis.

    SCALE=small|full  .venv/bin/python -m accountability.devtools.bench

The organisation (10,000 services, 100,000 dependency edges, 3,000 people, 1,000,000 changes,
20,000 incidents at full scale; a twentieth of it at small scale) is written with COPY into the
database `acc_bench_<scale>` on the server of DATABASE_URL, created on first use and reused after
(BENCH_REGENERATE=1 starts over). Then one table is printed: each figure, its target, the measured
value, and whether the target is met.
"""

import hashlib
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

SCALES = {
    "full": {
        "teams": 300,
        "people": 3000,
        "services": 10_000,
        "edges": 100_000,
        "changes": 1_000_000,
        "incidents": 20_000,
    },
    "small": {
        "teams": 30,
        "people": 300,
        "services": 1_000,
        "edges": 10_000,
        "changes": 50_000,
        "incidents": 1_000,
    },
}
HISTORY_DAYS = 3 * 365
LAYERS = 6  # 0 = websites … 5 = datastores: calls go from a layer to a deeper one
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _database_url(scale: str) -> str:
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accountability"))
    return urlunsplit(base._replace(path=f"/acc_bench_{scale}"))


def _prepare_environment(scale: str) -> None:
    os.environ["DATABASE_URL"] = _database_url(scale)
    os.environ.setdefault("CACHE_KEY_PREFIX", f"bench_{scale}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")


def _ensure_database(scale: str) -> bool:
    """Creates the bench database if needed; True when it must be (re)generated."""
    import psycopg

    url = urlsplit(_database_url(scale))
    admin = urlunsplit(url._replace(path="/postgres"))
    name = url.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and os.environ.get("BENCH_REGENERATE") != "1":
            return False
        if exists:
            connection.execute(f'DROP DATABASE "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return True


def _sha(n: int) -> str:
    return hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest()


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    quoted = ", ".join(f'"{column}"' for column in columns)
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def generate(scale: str) -> dict[str, float]:
    """Writes the organisation with COPY; returns seconds per table."""
    from django.db import connection

    size = SCALES[scale]
    rng = random.Random(16)
    timings = {}
    n_teams, n_people, n_services = size["teams"], size["people"], size["services"]
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY

        def timed(name, table, columns, rows):
            started = time.monotonic()
            _copy(cursor, table, columns, rows)
            timings[name] = time.monotonic() - started

        timed(
            "teams",
            "catalog_team",
            [
                "id",
                "name",
                "slug",
                "email",
                "chat_channel",
                "escalation_contact",
                "pagerduty_schedule_id",
                "pagerduty_escalation_policy_id",
                "record_source",
            ],
            ((i, f"Team {i}", f"team-{i}", "", "", "", "", "", "demo") for i in range(1, n_teams + 1)),
        )
        timed(
            "people",
            "catalog_person",
            [
                "id",
                "name",
                "email",
                "github_login",
                "pagerduty_user_id",
                "is_active",
                "departed_at",
                "record_source",
            ],
            (
                (
                    i,
                    f"Person {i}",
                    f"p{i}@example.com",
                    f"p{i}",
                    f"PU{i}",
                    i % 97 != 0,
                    NOW - timedelta(days=30) if i % 97 == 0 else None,
                    "demo",
                )
                for i in range(1, n_people + 1)
            ),
        )
        timed(
            "memberships",
            "catalog_membership",
            ["id", "role", "person_id", "team_id"],
            ((i, "member", i, 1 + (i - 1) % n_teams) for i in range(1, n_people + 1)),
        )

        layer_of = {i: min(LAYERS - 1, (i - 1) * LAYERS // n_services) for i in range(1, n_services + 1)}
        by_layer: dict[int, list[int]] = {}
        for service_id, layer in layer_of.items():
            by_layer.setdefault(layer, []).append(service_id)

        def services():
            for i in range(1, n_services + 1):
                team = 1 + (i - 1) % n_teams
                owner = 1 + ((team - 1) + n_teams * rng.randrange(max(1, n_people // n_teams))) % n_people
                kind = (
                    "datastore"
                    if layer_of[i] == LAYERS - 1
                    else ("website" if layer_of[i] == 0 else "service")
                )
                yield (
                    i,
                    f"Service {i}",
                    f"service-{i}",
                    kind,
                    1 + i % 4,
                    "production",
                    layer_of[i] == 0,
                    rng.choice(["none", "internal", "personal", "payments"]),
                    "",
                    "",
                    [f"acme/service-{i}"],
                    "",
                    i % 20 != 0,
                    "demo",
                    NOW - timedelta(days=rng.randrange(200)),
                    None if i % 50 == 0 else owner,
                    None if i % 70 == 0 else team,
                )

        timed(
            "services",
            "catalog_service",
            [
                "id",
                "name",
                "slug",
                "kind",
                "tier",
                "lifecycle",
                "customer_facing",
                "data_sensitivity",
                "system",
                "runbook_url",
                "repositories",
                "pagerduty_service_id",
                "dependencies_known",
                "record_source",
                "ownership_confirmed_at",
                "owner_of_record_id",
                "owner_team_id",
            ],
            services(),
        )

        def edges():
            seen = set()
            edge_id = 0
            while edge_id < size["edges"]:
                caller = rng.randrange(1, n_services + 1)
                layer = layer_of[caller]
                if layer == LAYERS - 1:
                    continue
                # Mostly one layer down, sometimes deeper, and 1 % back up (cycles exist in real graphs).
                if rng.random() < 0.01:
                    callee = rng.randrange(1, n_services + 1)
                else:
                    target_layer = min(LAYERS - 1, layer + 1 + (rng.random() < 0.2))
                    callee = rng.choice(by_layer[target_layer])
                if (caller, callee) in seen:
                    continue
                seen.add((caller, callee))
                edge_id += 1
                kind = (
                    "datastore" if layer_of[callee] == LAYERS - 1 else rng.choice(["sync", "sync", "async"])
                )
                yield (edge_id, kind, rng.choice(["hard", "hard", "soft"]), "demo", caller, callee)

        timed(
            "edges",
            "catalog_dependency",
            ["id", "kind", "criticality", "record_source", "from_service_id", "to_service_id"],
            edges(),
        )

        def shifts():
            shift_id = 0
            for team in range(1, n_teams + 1):
                if team % 25 == 0:
                    continue  # a few teams with nobody on call
                for week in range(-1, 2):
                    shift_id += 1
                    start = NOW + timedelta(days=7 * week) - timedelta(hours=3)
                    person = 1 + ((team - 1) + n_teams * ((week + 1) % 3)) % n_people
                    yield (shift_id, "", 1, start, start + timedelta(days=7), "demo", person, team)

        timed(
            "shifts",
            "catalog_oncallshift",
            [
                "id",
                "schedule_id",
                "escalation_level",
                "start",
                "end",
                "record_source",
                "person_id",
                "team_id",
            ],
            shifts(),
        )

        n_changes = size["changes"]
        span = timedelta(days=HISTORY_DAYS)
        merged = [NOW - span + span * (i / n_changes) for i in range(n_changes)]
        change_service = [rng.randrange(1, n_services + 1) for _ in range(n_changes)]

        def changes():
            for i in range(n_changes):
                author = f"p{rng.randrange(1, n_people + 1)}"
                yield (
                    i + 1,
                    f"acme/service-{change_service[i]}",
                    _sha(i),
                    [],
                    i + 1,
                    "",
                    f"Change {i + 1}",
                    [author],
                    [],
                    "",
                    merged[i],
                    rng.randrange(1, 30),
                    rng.randrange(1, 1500),
                    rng.randrange(0, 500),
                    rng.random() < 0.05,
                    [],
                    merged[i],
                    merged[i],
                    change_service[i],
                )

        timed(
            "changes",
            "changes_change",
            [
                "id",
                "repository",
                "sha",
                "commit_shas",
                "pr_number",
                "pr_url",
                "title",
                "author_logins",
                "driver_logins",
                "merged_by_login",
                "merged_at",
                "files_changed",
                "additions",
                "deletions",
                "touches_schema_migration",
                "labels",
                "created_at",
                "updated_at",
                "service_id",
            ],
            changes(),
        )

        def deployments():
            for i in range(n_changes):
                finished = merged[i] + timedelta(minutes=rng.randrange(20, 600))
                status = "rolled_back" if rng.random() < 0.04 else "succeeded"
                if finished > NOW:
                    finished, status = None, "in_progress"
                yield (
                    i + 1,
                    "production",
                    status,
                    merged[i] + timedelta(minutes=10),
                    finished,
                    "",
                    "bench",
                    f"d{i + 1}",
                    "",
                    "",
                    i + 1,
                )

        timed(
            "deployments",
            "changes_deployment",
            [
                "id",
                "environment",
                "status",
                "started_at",
                "finished_at",
                "deployed_by_login",
                "provider",
                "external_id",
                "url",
                "artifact_id",
                "change_id",
            ],
            deployments(),
        )

        levels = ["none", "assisted", "majority", "generated", "unknown"]
        timed(
            "provenance",
            "changes_aiprovenance",
            [
                "id",
                "level",
                "ai_share",
                "tools",
                "ai_models",
                "driver_logins",
                "sources",
                "confidence",
                "ai_lines",
                "detections",
                "registry_version",
                "updated_at",
                "change_id",
            ],
            (
                (
                    i + 1,
                    rng.choices(levels, [35, 30, 15, 5, 15])[0],
                    None,
                    [],
                    [],
                    [],
                    [],
                    "heuristic",
                    "{}",
                    "[]",
                    "",
                    NOW,
                    i + 1,
                )
                for i in range(n_changes)
            ),
        )

        # Evidence, plans and sign-offs for the last 60 days: what the policy, risk and gap scans read.
        recent_from = next(i for i in range(n_changes) if merged[i] >= NOW - timedelta(days=60))
        recent = range(recent_from, n_changes)

        def evidence():
            evidence_id = 0
            for i in recent:
                evidence_id += 1
                yield (
                    evidence_id,
                    "ci_tests",
                    "passed" if rng.random() < 0.93 else "failed",
                    "https://ci/1",
                    _sha(i),
                    "",
                    "bench",
                    "",
                    "",
                    merged[i],
                    i + 1,
                )
                if rng.random() < 0.7:
                    evidence_id += 1
                    yield (
                        evidence_id,
                        "human_review",
                        "passed",
                        "",
                        "",
                        f"p{rng.randrange(1, n_people + 1)}",
                        "bench",
                        "",
                        "",
                        merged[i],
                        i + 1,
                    )

        timed(
            "evidence",
            "changes_evidence",
            [
                "id",
                "kind",
                "result",
                "url",
                "sha",
                "actor_login",
                "source",
                "external_id",
                "detail",
                "at",
                "change_id",
            ],
            evidence(),
        )
        timed(
            "rollback plans",
            "changes_rollbackplan",
            [
                "id",
                "strategy",
                "steps",
                "expected_minutes",
                "data_reversible",
                "last_rehearsed_at",
                "change_id",
            ],
            (
                (
                    n,
                    "redeploy_previous",
                    "Redeploy.",
                    10,
                    rng.random() < 0.9,
                    NOW - timedelta(days=rng.randrange(400)) if rng.random() < 0.5 else None,
                    i + 1,
                )
                for n, i in enumerate((i for i in recent if rng.random() < 0.8), start=1)
            ),
        )
        timed(
            "sign-offs",
            "changes_signoff",
            [
                "id",
                "decision",
                "read_ai_parts",
                "understood_blast_radius",
                "rollback_ready",
                "on_call_through_bake",
                "note",
                "override_reason",
                "policy_decision",
                "created_at",
                "prev_hash",
                "hash",
                "change_id",
                "signer_id",
                # How the signer signed in (issue 17): blank, as for sign-offs written before it was kept.
                "auth_method",
                "auth_provider",
                "auth_amr",
                "auth_acr",
            ],
            (
                (
                    n,
                    "approve",
                    True,
                    True,
                    True,
                    True,
                    "",
                    "",
                    "allow",
                    merged[i],
                    hashlib.sha256(f"p{n}".encode()).hexdigest(),
                    hashlib.sha256(f"h{n}".encode()).hexdigest(),
                    i + 1,
                    rng.randrange(1, n_people + 1),
                    *("", "", "", ""),
                )
                for n, i in enumerate((i for i in recent if rng.random() < 0.8), start=1)
            ),
        )

        n_incidents = size["incidents"]
        incident_start = [NOW - span + span * rng.random() for _ in range(n_incidents)]
        timed(
            "incidents",
            "incidents_incident",
            [
                "id",
                "source",
                "external_id",
                "title",
                "severity",
                "priority",
                "status",
                "started_at",
                "resolved_at",
                "environment",
                "url",
                "artifact_id",
            ],
            (
                (
                    i + 1,
                    "bench",
                    f"I{i + 1}",
                    f"Incident {i + 1}",
                    "SEV2",
                    "",
                    "resolved",
                    incident_start[i],
                    incident_start[i] + timedelta(hours=2),
                    "production",
                    "",
                    "",
                )
                for i in range(n_incidents)
            ),
        )
        timed(
            "incident services",
            "incidents_incident_services",
            ["id", "incident_id", "service_id"],
            ((i + 1, i + 1, rng.randrange(1, n_services + 1)) for i in range(n_incidents)),
        )

        for table in (
            "catalog_team",
            "catalog_person",
            "catalog_membership",
            "catalog_service",
            "catalog_dependency",
            "catalog_oncallshift",
            "changes_change",
            "changes_deployment",
            "changes_aiprovenance",
            "changes_evidence",
            "changes_rollbackplan",
            "changes_signoff",
            "incidents_incident",
            "incidents_incident_services",
        ):
            # Table names come from the fixed tuple above, never from input.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        started = time.monotonic()
        cursor.execute("ANALYZE")
        timings["analyze"] = time.monotonic() - started
    return timings


FILL_BATCH = 100_000
RISK_COLUMNS = ["change_id", "score", "factors", "computed_at"]
FACTS_SQL = """
    SELECT change.id, change.service_id, change.additions + change.deletions, change.touches_schema_migration,
           change.ai_level, plan.strategy, plan.data_reversible, plan.last_rehearsed_at,
           coalesce(evidence.ci_passed, false), coalesce(evidence.ci_failed, false),
           coalesce(evidence.reviewed, false), deployment.finished_at,
           approval.id, approval.signer_id, approval.created_at
    FROM changes_change AS change
    LEFT JOIN changes_rollbackplan AS plan ON plan.change_id = change.id
    LEFT JOIN LATERAL (
        SELECT bool_or(kind = 'ci_tests' AND result = 'passed') AS ci_passed,
               bool_or(kind = 'ci_tests' AND result = 'failed') AS ci_failed,
               bool_or(kind = 'human_review' AND result = 'passed') AS reviewed
        FROM changes_evidence WHERE change_id = change.id
    ) AS evidence ON true
    LEFT JOIN LATERAL (
        SELECT min(finished_at) AS finished_at FROM changes_deployment
        WHERE change_id = change.id AND environment = 'production'
    ) AS deployment ON true
    LEFT JOIN LATERAL (
        SELECT id, signer_id, created_at FROM changes_signoff
        WHERE change_id = change.id AND change.approved AND decision = 'approve'
        ORDER BY id DESC LIMIT 1
    ) AS approval ON true
    WHERE change.id >= %(start)s AND change.id < %(stop)s
      AND NOT EXISTS (SELECT 1 FROM analysis_riskassessment AS risk WHERE risk.change_id = change.id)
"""


def analysis_results_fill() -> int:
    """Writes a risk assessment and a blast radius summary, with COPY, for every change that has none.

    In production every change gets both when it is ingested; the bench's history must have them too,
    or the risk review would sort a million changes none of which has a score.

    1. Walk the dependency graph once per service: a change's radius is its service's (score, count,
       unknown services; the impacted list, teams and on-call are left empty, and a schema migration
       does not widen it here).
    2. Read each change's facts (AI level, size, plan, evidence, approval, first production deploy)
       in id ranges, and score it with the real risk factors (analysis/risk.py).
    3. COPY the radii, then the assessments; the assessments' trigger (changes migration 0005) copies
       both scores onto the changes, which are compacted afterwards.
    """
    from django.db import connection, transaction

    from accountability.analysis.blast_radius import STORED_COLUMNS, blast_radius_compute
    from accountability.analysis.facts import Approval, ChangeFacts, RollbackFacts, _off_hours
    from accountability.analysis.graph import graph_get
    from accountability.analysis.risk import risk_factors, risk_score

    graph = graph_get()
    radius_of = {}
    filled = 0
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM changes_change")
        stop_id = cursor.fetchone()[0]
        for start in range(1, stop_id, FILL_BATCH):
            cursor.execute(FACTS_SQL, {"start": start, "stop": start + FILL_BATCH})
            rows = cursor.fetchall()
            radii, risks = [], []
            for (
                change_id,
                service_id,
                diff_lines,
                migration,
                ai_level,
                strategy,
                reversible,
                rehearsed_at,
                ci_passed,
                ci_failed,
                reviewed,
                deployed_at,
                approval_id,
                signer_id,
                approved_at,
            ) in rows:
                if service_id not in radius_of:
                    result = blast_radius_compute(graph=graph, service_id=service_id)
                    radius_of[service_id] = (result.score, result.unknown, result.count, result.unknown_count)
                score, unknown, count, unknown_count = radius_of[service_id]
                radii.append(
                    (change_id, score, unknown, "[]", count, unknown_count, "[]", "[]", graph.version, NOW)
                )
                facts = ChangeFacts(
                    change_id=change_id,
                    service_id=service_id,
                    ai_level=ai_level,
                    touches_schema_migration=migration,
                    diff_lines=diff_lines,
                    ci_passed=ci_passed,
                    ci_failed=ci_failed,
                    human_review_ok=reviewed,
                    rollback=RollbackFacts(strategy, reversible, rehearsed_at, False) if strategy else None,
                    approval=Approval(approval_id, signer_id, "", approved_at) if approval_id else None,
                    deployed_off_hours=bool(deployed_at and _off_hours(deployed_at)),
                    blast_radius_score=score,
                    blast_radius_unknown=unknown,
                    blast_radius_count=count,
                    evaluated_at=NOW,
                )
                factors = risk_factors(facts=facts)
                risks.append(
                    (change_id, risk_score(factors=factors), json.dumps([f.as_json() for f in factors]), NOW)
                )
            with transaction.atomic():
                # A radius may exist without an assessment (the analysis half writes both, but may stop).
                cursor.execute(
                    "DELETE FROM analysis_blastradius WHERE change_id = ANY(%s)", [[row[0] for row in radii]]
                )
                # Each COPY's trigger would rewrite the batch's changes; with the radii written as a replica
                # (no triggers: the ids come from changes_change) the assessments' refresh copies both scores
                # in one pass, which halves the fill (the rewrite of a change row is its cost).
                cursor.execute("SET LOCAL session_replication_role = replica")
                _copy(cursor, "analysis_blastradius", STORED_COLUMNS, radii)
                cursor.execute("SET LOCAL session_replication_role = origin")
                _copy(cursor, "analysis_riskassessment", RISK_COLUMNS, risks)
            filled += len(risks)
        if filled:
            # The triggers rewrote each change twice (radius, then risk): compact the table as a
            # production one would be, or every page read would touch three times the pages.
            cursor.execute("VACUUM FULL ANALYZE changes_change")
    return filled


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed_each(function, items) -> list[float]:
    timings = []
    for item in items:
        started = time.perf_counter()
        function(item)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(scale: str) -> list[tuple[str, str, str, bool | None]]:
    """Runs each measurement; returns (figure, target, measured, met) rows."""
    import networkx
    import numpy
    import rustworkx
    from django.db import connection

    from accountability.analysis import graph as graph_module
    from accountability.analysis.blast_radius import blast_radius_for_change
    from accountability.analysis.gaps import gaps_scan_all
    from accountability.analysis.graph import graph_build, graph_get, graph_version_current
    from accountability.analysis.services import changes_recompute_recent
    from accountability.analysis.suspects import suspects_refresh
    from accountability.changes.models import Change
    from accountability.incidents.models import Incident

    rng = random.Random(7)
    rows = []

    rebuilds = []
    for _ in range(3):
        started = time.perf_counter()
        graph_build(version=graph_version_current())
        rebuilds.append(time.perf_counter() - started)
    rows.append(
        (
            f"graph rebuild ({len(graph_module.graph_get().ids):,} services)",
            "<= 1 s",
            f"{statistics.median(rebuilds):.2f} s",
            statistics.median(rebuilds) <= 1.0,
        )
    )

    graph_module._cached = None
    graph = graph_get()
    max_id = Change.objects.order_by("-id").values_list("id", flat=True).first()
    sample = list(Change.objects.filter(id__in=rng.sample(range(1, max_id + 1), 1000)))
    timings, sizes = [], []
    for change in sample:
        started = time.perf_counter()
        result = blast_radius_for_change(change=change)
        timings.append((time.perf_counter() - started) * 1000)
        sizes.append(result.count)
    p50, p99 = _percentile(timings, 0.5), _percentile(timings, 0.99)
    rows.append(("blast radius p50, 1,000 random changes", "-", f"{p50:.1f} ms", None))
    rows.append(
        ("blast radius p99 (version check, walk, teams, on-call now)", "<= 20 ms", f"{p99:.1f} ms", p99 <= 20)
    )
    rows.append(
        ("  impacted services: median / max", "-", f"{statistics.median(sizes):.0f} / {max(sizes)}", None)
    )

    # The walk alone, three ways, for the record of the library choice (same 1,000 services).
    indices = [graph.index_of[change.service_id] for change in sample]
    walks = _timed_each(lambda index: graph.walk(source=index), indices)
    reach = _timed_each(lambda index: rustworkx.descendants(graph.graph, index), indices)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_service_id, from_service_id FROM catalog_dependency "
            "WHERE to_service_id <> from_service_id"
        )
        nx_graph = networkx.DiGraph(cursor.fetchall())
    nx_graph.add_nodes_from(change.service_id for change in sample)
    nx_reach = _timed_each(
        lambda change: networkx.single_source_shortest_path_length(nx_graph, change.service_id), sample
    )
    nx_dijkstra = _timed_each(
        lambda change: networkx.single_source_dijkstra_path(nx_graph, change.service_id), sample[:200]
    )
    # rustworkx's Dijkstra needs the weight on the edge and calls back into Python for it.
    weighted = rustworkx.PyDiGraph()
    weighted.add_nodes_from(range(len(graph.ids)))
    sources = numpy.repeat(numpy.arange(len(graph.ids)), numpy.diff(graph.indptr))
    weighted.add_edges_from(
        list(zip(sources.tolist(), graph.targets.tolist(), (1000.0 - graph.log_decays).tolist(), strict=True))
    )
    rx_dijkstra = _timed_each(
        lambda index: rustworkx.digraph_dijkstra_shortest_paths(weighted, index, weight_fn=float),
        indices[:200],
    )
    for label, values in (
        ("  weighted walk, numpy arrays (used)", walks),
        ("  weighted walk, rustworkx Dijkstra + Python weights", rx_dijkstra),
        ("  weighted walk, networkx Dijkstra", nx_dijkstra),
        ("  reach only, rustworkx descendants", reach),
        ("  reach only, networkx BFS", nx_reach),
    ):
        rows.append(
            (
                f"{label}: p50 / p99",
                "-",
                f"{_percentile(values, 0.5):.2f} / {_percentile(values, 0.99):.2f} ms",
                None,
            )
        )

    incidents = list(Incident.objects.order_by("?")[:200])
    suspect_timings = []
    for incident in incidents:
        started = time.perf_counter()
        suspects_refresh(incident=incident)
        suspect_timings.append((time.perf_counter() - started) * 1000)
    p99 = _percentile(suspect_timings, 0.99)
    rows.append(
        (
            "suspect ranking per incident, p50 / p99 / max (200 incidents)",
            "<= 200 ms",
            f"{_percentile(suspect_timings, 0.5):.0f} / {p99:.0f} / {max(suspect_timings):.0f} ms",
            p99 <= 200,
        )
    )

    started = time.monotonic()
    count = changes_recompute_recent()
    seconds = time.monotonic() - started
    rows.append(
        (
            f"full recompute: radius, risk, policy of {count:,} changes (30 days)",
            "none in §16",
            f"{seconds:.1f} s",
            None,
        )
    )

    started = time.monotonic()
    summary = gaps_scan_all()
    seconds = time.monotonic() - started
    rows.append(
        (
            f"full gap scan ({summary.opened + summary.kept:,} open gaps)",
            "<= 60 s",
            f"{seconds:.1f} s",
            seconds <= 60,
        )
    )
    return rows


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    scale = os.environ.get("SCALE", "full")
    if scale not in SCALES:
        print(f"SCALE must be one of {', '.join(SCALES)}, not {scale!r}", file=sys.stderr)
        return 2
    _prepare_environment(scale)
    fresh = _ensure_database(scale)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if fresh:
        call_command("migrate", verbosity=0, skip_checks=True)
        started = time.monotonic()
        timings = generate(scale)
        print(
            f"Generated the {scale} organisation in {time.monotonic() - started:.0f} s: "
            + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
        )
    else:
        call_command("migrate", verbosity=0, skip_checks=True)
        print(f"Reusing database {connection.settings_dict['NAME']} (BENCH_REGENERATE=1 to rebuild it).")
    started = time.monotonic()
    filled = analysis_results_fill()
    if filled:
        print(
            f"Wrote risk assessments and blast radii of {filled:,} changes "
            f"in {time.monotonic() - started:.0f} s."
        )
    counts = {}
    with connection.cursor() as cursor:
        for label, table in (
            ("services", "catalog_service"),
            ("edges", "catalog_dependency"),
            ("people", "catalog_person"),
            ("changes", "changes_change"),
            ("incidents", "incidents_incident"),
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed table name)
            counts[label] = cursor.fetchone()[0]
    print("Organisation: " + ", ".join(f"{value:,} {label}" for label, value in counts.items()))

    # BENCH_PART=analysis or =load runs half of the table (the load half: analysis/bench_load.py).
    part = os.environ.get("BENCH_PART", "all")
    rows = measure(scale) if part in ("all", "analysis") else []
    if part in ("all", "load"):
        from accountability.devtools.bench_load import measure_load

        rows += measure_load(scale)
    width = max(len(row[0]) for row in rows)
    print()
    print(f"{'figure':<{width}}  {'target':<13}  {'measured':<18}  met")
    print(f"{'-' * width}  {'-' * 13}  {'-' * 18}  ---")
    for figure, target, measured, met in rows:
        verdict = "" if met is None else ("yes" if met else "NO")
        print(f"{figure:<{width}}  {target:<13}  {measured:<18}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
