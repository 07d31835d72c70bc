"""Thin Celery tasks of the changes app."""

from celery import shared_task

from accountability.changes.reevaluation import provenance_reevaluate


@shared_task(name="changes.provenance_reevaluate")
def provenance_reevaluate_task() -> dict:
    """Beat runs this hourly: a new registry version (a deploy, an admin's rule) reaches recent changes."""
    result = provenance_reevaluate()
    return {"version": result.registry_version, "recomputed": result.recomputed, "changed": result.changed}
