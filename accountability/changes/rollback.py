"""Which rollback plan a change has: its own, else the one its service gives every change."""

from accountability.changes.models import Change, RollbackPlan


def rollback_plan_for(*, change: Change, service_default: RollbackPlan | None) -> RollbackPlan | None:
    """A change's own plan, else the one it inherits from its service."""
    try:
        return change.rollback_plan
    except RollbackPlan.DoesNotExist:
        return service_default
