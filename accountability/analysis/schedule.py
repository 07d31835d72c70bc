"""What other apps call after a write that changes what analysis would say.

Each function enqueues on commit of the caller's transaction (so the worker reads the committed
rows), or at once when there is no transaction. The tasks module is imported on call: the tasks
import the domain modules, some of which call these functions.
"""

from importlib import import_module


def _tasks():
    return import_module("accountability.analysis.tasks")


def analysis_schedule_for_change(change_id: int) -> None:
    """After a change, its provenance, evidence, rollback plan, sign-off or deployment was written."""
    _tasks().change_analyze_task.delay_on_commit(change_id)


def analysis_schedule_for_service(service_id: int) -> None:
    """After a service's owner, team, tier, repositories or CODEOWNERS rules changed.

    Dependency edits need nothing here: the graph version trigger makes the periodic stale-radius
    recompute pick them up.
    """
    _tasks().service_rescan_task.delay_on_commit(service_id)


def analysis_schedule_for_team(team_id: int) -> None:
    """After a team's on-call shifts or memberships changed."""
    _tasks().team_rescan_task.delay_on_commit(team_id)


def analysis_schedule_for_incident(incident_id: int) -> None:
    """After an incident was created or its services, start, environment or timeline changed."""
    _tasks().incident_suspects_task.delay_on_commit(incident_id)


def analysis_schedule_metrics() -> None:
    """After a suspect verdict: confirmed causes change failure rates and time to restore."""
    _tasks().metrics_refresh_task.delay_on_commit()
