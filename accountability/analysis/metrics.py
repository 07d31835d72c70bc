"""Delivery metrics by AI provenance (DESIGN §13), with the counts and uncertainty behind each rate.

"Do AI-assisted changes fail more here?" deserves an honest answer: every rate comes with its count
and a 95 % Wilson interval, and below ANALYSIS_METRICS_MIN_SAMPLE deployments there is no rate at
all, only "not enough data".
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accountability.analysis.models import MetricSnapshot
from accountability.changes.models import AIProvenance, Deployment, Environment
from accountability.incidents.models import SuspectChange

ALL_LEVELS = "all"
Z_95 = 1.959964


def wilson_interval(*, failures: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of failures/total: honest at small samples and near 0 or 1."""
    if total == 0:
        return 0.0, 1.0
    p = failures / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(slots=True)
class Bucket:
    deployments: int = 0
    failures: int = 0
    lead_times: list[float] = field(default_factory=list)
    restores: dict[int, float] = field(default_factory=dict)  # incident id → hours


def _buckets_key_sets(service_id: int, team_id: int | None, level: str) -> list[tuple]:
    keys = []
    for scope_level in (level, ALL_LEVELS):
        keys.append((MetricSnapshot.Scope.ORGANISATION, None, None, scope_level))
        keys.append((MetricSnapshot.Scope.SERVICE, None, service_id, scope_level))
        if team_id is not None:
            keys.append((MetricSnapshot.Scope.TEAM, team_id, None, scope_level))
    return keys


def metrics_compute(*, period_start: datetime, period_end: datetime) -> dict[tuple, Bucket]:
    """Counts per (scope, team, service, AI level) for production deployments finished in the period.

    1. Load the period's production deployments that finished (succeeded or rolled back) with their
       change's merge time, service, owning team and AI level (one query).
    2. Load the confirmed suspects of those changes and their incidents (one query).
    3. A deployment failed if it was rolled back or its change is a confirmed cause of an incident.
       Lead time is merge → the change's first production deployment in the period. Time to restore
       is incident start → resolution, for incidents confirmed to be caused by a change in scope.
    4. Add each deployment to its organisation, team and service buckets, for its AI level and "all".
    """
    rows = list(
        Deployment.objects.filter(
            environment=Environment.PRODUCTION,
            status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
            finished_at__gte=period_start,
            finished_at__lt=period_end,
        )
        .order_by("finished_at")
        .values_list(
            "change_id",
            "status",
            "finished_at",
            "change__merged_at",
            "change__service_id",
            "change__service__owner_team_id",
            "change__provenance__level",
        )
    )
    causes, suspected = _linked_incidents(change_ids={row[0] for row in rows})

    buckets: dict[tuple, Bucket] = defaultdict(Bucket)
    first_seen: set[int] = set()
    for change_id, status, finished_at, merged_at, service_id, team_id, level in rows:
        level = level or AIProvenance.Level.UNKNOWN
        failed = status == Deployment.Status.ROLLED_BACK or bool(causes.get(change_id))
        lead = None
        if change_id not in first_seen:
            first_seen.add(change_id)
            if merged_at is not None and finished_at >= merged_at:
                lead = (finished_at - merged_at).total_seconds() / 3600
        for key in _buckets_key_sets(service_id, team_id, level):
            bucket = buckets[key]
            bucket.deployments += 1
            bucket.failures += int(failed)
            if lead is not None:
                bucket.lead_times.append(lead)
            for incident_id, hours in _restores(change_id, status, causes, suspected):
                bucket.restores[incident_id] = hours
    return buckets


def _linked_incidents(*, change_ids: set[int]) -> tuple[dict, dict]:
    """Per change, the incidents it is a confirmed cause of, and those it is a suspect of not ruled out
    (each as (incident id, hours to resolution or None))."""
    causes: dict[int, list[tuple[int, float | None]]] = defaultdict(list)
    suspected: dict[int, list[tuple[int, float | None]]] = defaultdict(list)
    for change_id, incident_id, started, resolved, verdict in (
        SuspectChange.objects.filter(change_id__in=change_ids)
        .exclude(verdict=SuspectChange.Verdict.RULED_OUT)
        .values_list("change_id", "incident_id", "incident__started_at", "incident__resolved_at", "verdict")
    ):
        hours = (resolved - started).total_seconds() / 3600 if resolved else None
        target = causes if verdict == SuspectChange.Verdict.CONFIRMED else suspected
        target[change_id].append((incident_id, hours))
    return causes, suspected


def _restores(change_id: int, status: str, causes: dict, suspected: dict) -> list[tuple[int, float]]:
    """Time to restore counts the resolved incidents linked to a failed deployment: the incidents its
    change is a confirmed cause of and, for a rollback, the incidents its change is still a suspect of
    (the rollback is then most likely the restoring action)."""
    linked = list(causes.get(change_id, []))
    if status == Deployment.Status.ROLLED_BACK:
        linked += suspected.get(change_id, [])
    return [(incident_id, hours) for incident_id, hours in linked if hours is not None]


def weeks_observed(*, period_start: datetime, period_end: datetime, now: datetime) -> float:
    """The weeks of the period that exist: not past now, nor before the first production deployment
    ever recorded, from its day (a month one day old is one day, not a month; at least one day)."""
    first = (
        Deployment.objects.filter(environment=Environment.PRODUCTION, finished_at__isnull=False)
        .order_by("finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    day = first.replace(hour=0, minute=0, second=0, microsecond=0) if first else None
    start = max(period_start, day) if day else period_start
    end = min(period_end, now)
    return max((end - start).total_seconds() / (7 * 86400), 1 / 7)


def _snapshot(
    *,
    key: tuple,
    bucket: Bucket,
    period: tuple[datetime, datetime],
    weeks: float,
    minimum: int,
    now: datetime,
) -> MetricSnapshot:
    scope, team_id, service_id, level = key
    enough = bucket.deployments >= minimum
    low, high = wilson_interval(failures=bucket.failures, total=bucket.deployments)
    restores = list(bucket.restores.values())
    return MetricSnapshot(
        scope=scope,
        team_id=team_id,
        service_id=service_id,
        period_start=period[0],
        period_end=period[1],
        ai_level=level,
        deployments=bucket.deployments,
        deploys_per_week=round(bucket.deployments / weeks, 3),
        lead_time_count=len(bucket.lead_times),
        lead_time_median_hours=round(statistics.median(bucket.lead_times), 3) if bucket.lead_times else None,
        failures=bucket.failures,
        failure_rate=round(bucket.failures / bucket.deployments, 4) if enough else None,
        failure_rate_low=round(low, 4) if enough else None,
        failure_rate_high=round(high, 4) if enough else None,
        restore_count=len(bucket.restores),
        restore_median_hours=round(statistics.median(restores), 3) if restores else None,
        enough_data=enough,
        computed_at=now,
    )


def metrics_rows_live(
    *, period_start: datetime, period_end: datetime, team_id: int | None = None, now: datetime | None = None
) -> list[MetricSnapshot]:
    """The organisation's (or one team's) metrics for any period, computed now, one unsaved row per AI
    level ("all" always present): the dashboard's rolling periods need no stored snapshot."""
    now = now or timezone.now()
    scope = MetricSnapshot.Scope.TEAM if team_id else MetricSnapshot.Scope.ORGANISATION
    buckets = {
        key: bucket
        for key, bucket in metrics_compute(period_start=period_start, period_end=period_end).items()
        if key[0] == scope and key[1] == team_id
    }
    buckets.setdefault((scope, team_id, None, ALL_LEVELS), Bucket())
    weeks = weeks_observed(period_start=period_start, period_end=period_end, now=now)
    minimum = settings.ANALYSIS_METRICS_MIN_SAMPLE
    return [
        _snapshot(
            key=key, bucket=bucket, period=(period_start, period_end), weeks=weeks, minimum=minimum, now=now
        )
        for key, bucket in buckets.items()
    ]


def metrics_snapshot_store(*, period_start: datetime, period_end: datetime) -> int:
    """Replaces the period's snapshots with freshly computed ones; returns how many were stored."""
    now = timezone.now()
    minimum = settings.ANALYSIS_METRICS_MIN_SAMPLE
    weeks = weeks_observed(period_start=period_start, period_end=period_end, now=now)
    buckets = metrics_compute(period_start=period_start, period_end=period_end)
    buckets.setdefault((MetricSnapshot.Scope.ORGANISATION, None, None, ALL_LEVELS), Bucket())
    snapshots = [
        _snapshot(
            key=key, bucket=bucket, period=(period_start, period_end), weeks=weeks, minimum=minimum, now=now
        )
        for key, bucket in buckets.items()
    ]
    with transaction.atomic():
        MetricSnapshot.objects.filter(period_start=period_start, period_end=period_end).delete()
        MetricSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    return len(snapshots)


def month_bounds(*, year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def metrics_refresh(*, months: int = 3, now: datetime | None = None) -> int:
    """Recomputes the current calendar month and the `months - 1` before it (verdicts on incidents
    arrive late, so recent months change after the fact)."""
    now = now or timezone.now()
    year, month = now.year, now.month
    stored = 0
    for _ in range(months):
        start, end = month_bounds(year=year, month=month)
        stored += metrics_snapshot_store(period_start=start, period_end=end)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return stored
