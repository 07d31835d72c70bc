"""Thin Celery tasks: take an id, load the row, call one domain function; a missing row is not an error.

Callers do not enqueue these directly: they call the `analysis_schedule_*` functions of
accountability/followups.py after their writes, which enqueue on commit.
"""

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery import shared_task
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accountability.analysis.digest import weekly_digest_send
from accountability.analysis.gaps import gaps_scan_all, gaps_scan_service, gaps_scan_team
from accountability.analysis.metrics import metrics_refresh
from accountability.analysis.services import change_analyze, changes_recompute_recent, changes_sweep
from accountability.analysis.suspects import incidents_near_deployment, suspects_refresh
from accountability.analysis.unclaimed import gaps_scan_unclaimed
from accountability.catalog.models import Service, Team
from accountability.changes.models import Change
from accountability.followups import (
    UNCLAIMED_PENDING_KEY,
    incident_suspects_enqueue,
    incident_suspects_pending_key,
)
from accountability.incidents.models import Incident
from accountability.notify.triggers import deployments_announce, incident_notify


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """A PostgreSQL session lock per scan: yields False when another worker already runs it.

    Beat fires the scans on a fixed schedule; at full scale one recompute outlasts the next tick, and
    two copies would only do the same work twice.
    """
    key = zlib.crc32(f"analysis.{name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@shared_task(name="analysis.change_analyze", ignore_result=True)
def change_analyze_task(change_id: int) -> None:
    change_analyze(change_id=change_id)
    change = Change.objects.select_related("service__owner_of_record").filter(pk=change_id).first()
    if change is not None:
        with transaction.atomic():
            deployments_announce(change=change)


@shared_task(name="analysis.service_rescan", ignore_result=True)
def service_rescan_task(service_id: int) -> None:
    if Service.objects.filter(pk=service_id).exists():
        gaps_scan_service(service_id=service_id)


@shared_task(name="analysis.team_rescan", ignore_result=True)
def team_rescan_task(team_id: int) -> None:
    if Team.objects.filter(pk=team_id).exists():
        gaps_scan_team(team_id=team_id)


@shared_task(name="analysis.incident_suspects", ignore_result=True)
def incident_suspects_task(incident_id: int) -> None:
    # Cleared before reading, so a write committed from here on enqueues a run of its own.
    cache.delete(incident_suspects_pending_key(incident_id))
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is not None:
        _rank_and_tell(incident)


@shared_task(name="analysis.deployment_incidents", ignore_result=True)
def deployment_incidents_task(
    environment: str, started_at: str | None, finished_at: str | None, active: bool
) -> None:
    """Rank again the open incidents in whose suspect window a deployment falls."""
    for incident_id in incidents_near_deployment(
        environment=environment,
        started_at=datetime.fromisoformat(started_at) if started_at else None,
        finished_at=datetime.fromisoformat(finished_at) if finished_at else None,
        active=active,
    ):
        incident_suspects_enqueue(incident_id)


@shared_task(name="analysis.open_incidents_suspects", ignore_result=True)
def open_incidents_suspects_task() -> None:
    with exclusive("open_incidents_suspects") as acquired:
        if acquired:
            _open_incidents_suspects()


def _open_incidents_suspects() -> None:
    for incident in Incident.objects.exclude(status=Incident.Status.RESOLVED).order_by("-started_at")[:200]:
        _rank_and_tell(incident)


def _rank_and_tell(incident: Incident) -> None:
    # One transaction: the messages exist exactly when the ranking they describe does.
    with transaction.atomic():
        suspects_refresh(incident=incident)
        incident_notify(incident=incident)


@shared_task(name="analysis.unclaimed_scan", ignore_result=True)
def unclaimed_scan_task() -> None:
    cache.delete(UNCLAIMED_PENDING_KEY)  # before reading: a delivery ignored from now on scans again
    with exclusive("unclaimed_scan") as acquired:
        if acquired:
            gaps_scan_unclaimed()


@shared_task(name="analysis.gaps_scan_all", ignore_result=True)
def gaps_scan_all_task() -> None:
    with exclusive("gaps_scan_all") as acquired:
        if acquired:
            gaps_scan_all()


@shared_task(name="analysis.recompute_stale", ignore_result=True)
def recompute_stale_task() -> None:
    # Cheap when nothing changed: only changes whose radius predates the current graph version.
    with exclusive("recompute") as acquired:
        if acquired:
            changes_recompute_recent(only_stale_graph=True)


@shared_task(name="analysis.recompute_recent", ignore_result=True)
def recompute_recent_task() -> None:
    with exclusive("recompute") as acquired:
        if acquired:
            changes_recompute_recent()


@shared_task(name="analysis.sweep_touched_changes", ignore_result=True)
def sweep_touched_changes_task() -> None:
    # Runs every 2 minutes and looks 5 minutes back: overlapping windows, so nothing falls between.
    with exclusive("sweep") as acquired:
        if acquired:
            changes_sweep(since=timezone.now() - timedelta(minutes=5))


@shared_task(name="analysis.metrics_refresh", ignore_result=True)
def metrics_refresh_task() -> None:
    with exclusive("metrics_refresh") as acquired:
        if acquired:
            metrics_refresh()


@shared_task(name="analysis.weekly_digest", ignore_result=True)
def weekly_digest_task() -> None:
    weekly_digest_send()
