"""Recomputing and storing the analysis of changes: one change after a write, or all recent ones."""

import json
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accountability.analysis.blast_radius import (
    BlastRadiusResult,
    blast_radius_compute,
    blast_radius_refresh,
    blast_radius_store_many,
)
from accountability.analysis.bulk import upsert_copy
from accountability.analysis.facts import change_facts, change_facts_load, recent_changes_filter
from accountability.analysis.gaps import gaps_scan_change
from accountability.analysis.graph import graph_get
from accountability.analysis.models import BlastRadius, PolicyResult, RiskAssessment
from accountability.analysis.policy import policy_active, policy_evaluate_facts, policy_result_store
from accountability.analysis.risk import risk_assessment_store, risk_factors, risk_score
from accountability.changes.models import AIProvenance, Change, Deployment, Environment, Evidence, SignOff

# Each radius holds a few graph-sized arrays (about 0.5 MB at 10,000 services) until it is stored.
BATCH = 250


def _environments(change_id: int) -> list[str]:
    found = set(Deployment.objects.filter(change_id=change_id).values_list("environment", flat=True))
    return sorted(found | {Environment.PRODUCTION})


def change_analyze(*, change_id: int) -> Change | None:
    """Everything stored about one change, recomputed after a write that affects it.

    1. Blast radius from the in-memory graph (risk uses its score).
    2. Facts, then the risk assessment.
    3. The policy result for production and for every environment it was deployed to.
    4. A targeted rescan of the change's gaps.
    Returns None when the change no longer exists.
    """
    change = Change.objects.select_related("service").filter(pk=change_id).first()
    if change is None:
        return None
    with transaction.atomic():
        blast_radius_refresh(change=change)
        facts = change_facts(change=change)
        risk_assessment_store(change_id=change.pk, facts=facts)
        policy = policy_active()
        for environment in _environments(change.pk):
            evaluation = policy_evaluate_facts(
                facts=facts, rules=policy.rules, version=policy.version, environment=environment
            )
            policy_result_store(change_id=change.pk, evaluation=evaluation, policy=policy)
    gaps_scan_change(change_id=change.pk)
    return change


def changes_recompute(*, change_ids: list[int], now: datetime | None = None) -> int:
    """Blast radius, risk and production policy result of many changes, stored in bulk.

    1. Compute each distinct (service, schema migration) radius of a batch once from the graph.
    2. Store the radii (one upsert per batch), then load facts (which read those radii) in batches.
    3. Compute risk and the production policy evaluation from the facts and upsert both.
    """
    now = now or timezone.now()
    graph = graph_get()
    policy = policy_active()
    for start in range(0, len(change_ids), BATCH):
        batch = change_ids[start : start + BATCH]
        # Per batch only: a walk holds arrays the size of the graph, too many to keep for every service.
        radii: dict[tuple[int, bool], BlastRadiusResult] = {}
        rows = list(
            Change.objects.filter(id__in=batch).values_list("id", "service_id", "touches_schema_migration")
        )
        for _, service_id, migration in rows:
            if (service_id, migration) not in radii:
                radii[(service_id, migration)] = blast_radius_compute(
                    graph=graph, service_id=service_id, schema_migration=migration
                )
        with transaction.atomic():
            blast_radius_store_many(
                results={
                    change_id: radii[(service_id, migration)] for change_id, service_id, migration in rows
                },
                graph=graph,
                now=now,
            )
            facts_by_change = change_facts_load(change_ids=batch, now=now)
            risks, results = [], []
            for change_id, facts in facts_by_change.items():
                factors = risk_factors(facts=facts)
                risks.append(
                    (
                        change_id,
                        risk_score(factors=factors),
                        json.dumps([factor.as_json() for factor in factors]),
                        now,
                    )
                )
                evaluation = policy_evaluate_facts(
                    facts=facts,
                    rules=policy.rules,
                    version=policy.version,
                    environment=Environment.PRODUCTION,
                )
                results.append(
                    (
                        change_id,
                        Environment.PRODUCTION.value,
                        evaluation.decision,
                        json.dumps([control.as_json() for control in evaluation.controls]),
                        policy.pk,
                        policy.version,
                        now,
                    )
                )
            upsert_copy(
                table=RiskAssessment._meta.db_table,
                columns=["change_id", "score", "factors", "computed_at"],
                rows=risks,
                conflict=["change_id"],
                update=["score", "factors", "computed_at"],
            )
            upsert_copy(
                table=PolicyResult._meta.db_table,
                columns=[
                    "change_id",
                    "environment",
                    "decision",
                    "controls",
                    "policy_id",
                    "policy_version",
                    "computed_at",
                ],
                rows=results,
                conflict=["change_id", "environment"],
                update=["decision", "controls", "policy_id", "policy_version", "computed_at"],
            )
    return len(change_ids)


def changes_recompute_recent(*, only_stale_graph: bool = False, days: int | None = None) -> int:
    """Recomputes the changes of the recent window (ANALYSIS_RECENT_CHANGE_DAYS); with
    `only_stale_graph`, only those whose stored radius predates the current dependency graph."""
    changes = Change.objects.filter(recent_changes_filter(days=days))
    if only_stale_graph:
        current = graph_get().version
        fresh = BlastRadius.objects.filter(graph_version=current).values("change_id")
        changes = changes.exclude(id__in=fresh)
    return changes_recompute(change_ids=list(changes.order_by("id").values_list("id", flat=True)))


def changes_touched_since(*, since: datetime) -> list[int]:
    """Changes whose own row, provenance, deployments, evidence or sign-offs were written since then.

    The safety net under the on-commit hooks: a writer that forgot to call
    `analysis_schedule_for_change` is still picked up by the next sweep (every two minutes).
    Evidence carries the time it is about, not when it was stored, so a backfilled old result
    waits for the hourly recompute instead.
    """
    touched = set(Change.objects.filter(updated_at__gte=since).values_list("id", flat=True))
    touched |= set(AIProvenance.objects.filter(updated_at__gte=since).values_list("change_id", flat=True))
    touched |= set(
        Deployment.objects.filter(Q(started_at__gte=since) | Q(finished_at__gte=since)).values_list(
            "change_id", flat=True
        )
    )
    touched |= set(Evidence.objects.filter(at__gte=since).values_list("change_id", flat=True))
    touched |= set(SignOff.objects.filter(created_at__gte=since).values_list("change_id", flat=True))
    return sorted(touched)


def changes_sweep(*, since: datetime) -> int:
    """Recomputes the changes touched since `since`, and rescans their gaps."""
    change_ids = changes_touched_since(since=since)
    changes_recompute(change_ids=change_ids)
    for change_id in change_ids:
        gaps_scan_change(change_id=change_id)
    return len(change_ids)
