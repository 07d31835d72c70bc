"""Thin Celery tasks of the deploy gate: take an id, call one domain function; a missing row is fine."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accountability.gate.github_app import GitHubTransientError
from accountability.gate.protection import protection_rule_answer, protection_rules_reevaluate


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
    protection_rule_answer(request_id=request_id)


@shared_task(name="api.protection_rules_reevaluate", ignore_result=True)
def protection_rules_reevaluate_task() -> None:
    for request_id in protection_rules_reevaluate():
        protection_rule_answer_task.delay(request_id)
