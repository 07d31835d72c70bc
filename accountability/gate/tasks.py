"""Thin Celery tasks of the deploy gate: take an id, call one domain function; a missing row is fine.

They import the gate's functions inside the task (which import this module at theirs).
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accountability.gate.github_app import GitHubTransientError


@shared_task(
    name="api.protection_rule_answer",
    autoretry_for=(GitHubTransientError, OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
    ignore_result=True,
)
def protection_rule_answer_task(request_id: int) -> None:
    from accountability.gate.protection import protection_rule_answer

    protection_rule_answer(request_id=request_id)


@shared_task(name="api.protection_rules_reevaluate", ignore_result=True)
def protection_rules_reevaluate_task() -> None:
    from accountability.gate.protection import protection_rules_reevaluate

    for request_id in protection_rules_reevaluate():
        protection_rule_answer_task.delay(request_id)


@shared_task(name="gate.protection_rules_for_change", ignore_result=True)
def protection_rules_for_change_task(change_id: int) -> None:
    """After a sign-off (accountability/followups.py): answer again what still waits for this change, and
    tell GitHub the gate's new answer for it."""
    from accountability.changes.models import Change
    from accountability.gate.decisions import gate_status_refresh
    from accountability.gate.protection import protection_rules_schedule_for_change

    change = Change.objects.filter(pk=change_id).select_related("service__owner_team").first()
    if change is not None:
        protection_rules_schedule_for_change(change=change)
        gate_status_refresh(change=change)
