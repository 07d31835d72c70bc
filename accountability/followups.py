"""Follow-up work after a write, which lower apps ask for and higher apps do.

The domain and ingest write rows; analysis (recompute, rescan, re-rank) and the gate (re-answer a waiting
GitHub deployment) react. A lower app cannot import the tasks above it, so it calls these functions, which
enqueue a Celery task by its registered name on commit of the caller's transaction (so the worker reads the
committed rows), or at once when there is no transaction. This module imports no app.
"""

from celery import current_app


def _enqueue(task_name: str, *args: int) -> None:
    if task_name not in current_app.tasks:
        # A web process has not imported the task modules yet: the worker's autodiscovery, run here once.
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].delay_on_commit(*args)


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
    """After an incident was created or its services, start, environment or timeline changed."""
    _enqueue("analysis.incident_suspects", incident_id)


def analysis_schedule_metrics() -> None:
    """After a suspect verdict: confirmed causes change failure rates and time to restore."""
    _enqueue("analysis.metrics_refresh")


def gate_schedule_for_change(change_id: int) -> None:
    """After a sign-off: the GitHub deployments of this change that the gate holds are evaluated again."""
    _enqueue("gate.protection_rules_for_change", change_id)
