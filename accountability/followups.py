"""Follow-up work after a write, which lower apps ask for and higher apps do.

The domain and ingest write rows; analysis (recompute, rescan, re-rank) and the gate (re-answer a waiting
GitHub deployment) react. A lower app cannot import the tasks above it, so it calls these functions, which
enqueue a Celery task by its registered name on commit of the caller's transaction (so the worker reads the
committed rows), or at once when there is no transaction. This module imports no app.
"""

import contextlib
import logging
from contextvars import ContextVar
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def _task(task_name: str):
    if task_name not in current_app.tasks:
        # A web process has not imported the task modules yet: the worker's autodiscovery, run here once.
        current_app.loader.import_default_modules()
    return current_app.tasks[task_name]


def _enqueue(task_name: str, *args) -> None:
    _task(task_name).delay_on_commit(*args)


def analysis_schedule_for_change(change_id: int) -> None:
    """After a change, its provenance, evidence, rollback plan, sign-off or deployment was written."""
    _enqueue("analysis.change_analyze", change_id)


def analysis_schedule_for_service(service_id: int) -> None:
    """After a service's owner, team, tier, repositories or CODEOWNERS rules changed.

    Dependency edits need nothing here: the graph version trigger makes the periodic stale-radius
    recompute pick them up.
    """
    _enqueue("analysis.service_rescan", service_id)


def analysis_schedule_for_team(team_id: int) -> None:
    """After a team's on-call shifts or memberships changed."""
    _enqueue("analysis.team_rescan", team_id)


def analysis_schedule_for_incident(incident_id: int) -> None:
    """After an incident was created or its services, start, environment or timeline changed, or a
    deployment landed in its window, or a verdict was given: its suspects are ranked again at once.

    Debounced: a burst of writes about one incident (PagerDuty sends triggered, acknowledged and a note
    within a second) enqueues one run. A "pending" key is set when the run is enqueued and cleared by the
    task before it reads anything, so a write committed after the task started enqueues another run and
    none is lost. The beat's periodic ranking of open incidents stays as the backstop.
    """
    transaction.on_commit(lambda: incident_suspects_enqueue(incident_id))


def incident_suspects_pending_key(incident_id: int) -> str:
    return f"analysis:suspects-pending:{incident_id}"


def incident_suspects_enqueue(incident_id: int) -> None:
    key = incident_suspects_pending_key(incident_id)
    delay = settings.ANALYSIS_SUSPECT_DEBOUNCE_SECONDS
    try:
        if not cache.add(key, 1, timeout=delay + 60):
            return  # a run is already queued and has not started: it will read this write
    except Exception:
        # Without the cache, enqueue undebounced rather than not at all.
        logger.warning("suspects of incident %s: debounce unavailable", incident_id, exc_info=True)
    try:
        _task("analysis.incident_suspects").apply_async((incident_id,), countdown=delay)
    except Exception:
        # The write is committed; the beat's backstop ranks the incident within minutes.
        logger.warning("suspects of incident %s not enqueued", incident_id, exc_info=True)
        with contextlib.suppress(Exception):  # else the key expires by itself within a minute
            cache.delete(key)


def analysis_schedule_for_deployment(
    *, environment: str, started_at: datetime | None, finished_at: datetime | None, active: bool
) -> None:
    """After a deployment was recorded or changed status: the open incidents in whose suspect window it
    falls (DESIGN §12) are ranked again, once the write commits (the task finds them). Inside
    `deployments_folded`, it is folded into one task per environment instead."""
    span = (started_at or finished_at, finished_at or started_at, active)
    spans = _deployment_spans.get()
    if spans is None:
        _deployment_incidents_enqueue(environment, span)
    else:
        spans[environment] = _fold(spans[environment], span) if environment in spans else span


# The deployments recorded inside `deployments_folded`, by environment: (earliest, latest, active).
_deployment_spans: ContextVar[dict | None] = ContextVar("deployment_spans", default=None)


def _fold(one: tuple, other: tuple) -> tuple:
    if None in (one[0], other[0]):
        return None, None, True  # a deployment with no time concerns every open incident of its environment
    return min(one[0], other[0]), max(one[1], other[1]), one[2] or other[2]


def _deployment_incidents_enqueue(environment: str, span: tuple) -> None:
    earliest, latest, active = span
    _enqueue(
        "analysis.deployment_incidents",
        environment,
        earliest.isoformat() if earliest else None,
        latest.isoformat() if latest else None,
        active,
    )


@contextlib.contextmanager
def deployments_folded():
    """Folds the deployments recorded inside it into one re-ranking per environment, enqueued when it ends
    (on commit of the caller's transaction): a worker's batch of 50 deployments publishes one task, not 50.

    The span from the earliest to the latest deployment holds every incident any of them would have found;
    an incident in a gap between them is ranked once more than needed, which changes nothing. Nothing is
    enqueued when the block raises: its transaction rolls back."""
    spans: dict = {}
    token = _deployment_spans.set(spans)
    try:
        yield
    finally:
        _deployment_spans.reset(token)
    for environment, span in spans.items():
        _deployment_incidents_enqueue(environment, span)


def analysis_schedule_metrics() -> None:
    """After a suspect verdict: confirmed causes change failure rates and time to restore."""
    _enqueue("analysis.metrics_refresh")


UNCLAIMED_PENDING_KEY = "analysis:unclaimed-pending"


def analysis_schedule_unclaimed() -> None:
    """After a delivery was ignored because no service lists its repository, or the catalog changed (a
    service may now list one): the UNCLAIMED_REPOSITORY scan, which also replays what was claimed.
    Debounced like the suspects: a burst of deliveries from one unclaimed repository makes one scan."""
    transaction.on_commit(_unclaimed_enqueue)


def _unclaimed_enqueue() -> None:
    try:
        if not cache.add(UNCLAIMED_PENDING_KEY, 1, timeout=60):
            return
    except Exception:
        logger.warning("unclaimed repositories scan: debounce unavailable", exc_info=True)
    try:
        _task("analysis.unclaimed_scan").apply_async(countdown=2)
    except Exception:
        # The full gap scan (every 15 minutes) runs it too.
        logger.warning("unclaimed repositories scan not enqueued", exc_info=True)
        with contextlib.suppress(Exception):
            cache.delete(UNCLAIMED_PENDING_KEY)


def gate_schedule_for_change(change_id: int) -> None:
    """After a sign-off: the GitHub deployments of this change that the gate holds are evaluated again."""
    _enqueue("gate.protection_rules_for_change", change_id)
