"""Re-evaluating AI provenance when the registry changes (issue 13): a new agents.toml version, or a rule an
admin added, recomputes the provenance of recent changes from their stored commits and records; the verdict
each replaced is kept in ProvenanceHistory by `provenance_refresh`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accountability.changes.models import Change
from accountability.changes.provenance import provenance_refresh
from accountability.changes.registry import registry_current


@dataclass
class ReevaluationResult:
    registry_version: str
    examined: int = 0
    recomputed: int = 0
    changed: int = 0


def provenance_reevaluate(*, days: int | None = None, limit: int = 5000) -> ReevaluationResult:
    """Recompute the provenance of changes merged (or still pending) in the last `days` whose stored verdict
    was computed under another registry version. Idempotent: a second run finds nothing to do.

    1. Read the registry in force (the file and the admins' rules) and its version.
    2. Select recent changes whose provenance is missing or carries another version, oldest first.
    3. Recompute each with `provenance_refresh` (which keeps the replaced verdict in the history).
    """
    registry = registry_current()
    since = timezone.now() - timedelta(days=days if days is not None else settings.PROVENANCE_REEVALUATE_DAYS)
    stale = (
        Change.objects.filter(Q(merged_at__gte=since) | Q(merged_at__isnull=True))
        .exclude(provenance__registry_version=registry.version)
        .order_by("merged_at", "id")[:limit]
    )
    result = ReevaluationResult(registry_version=registry.version)
    for change in stale:
        result.examined += 1
        before = change.provenance_history.count()
        provenance_refresh(change=change, registry=registry)
        result.recomputed += 1
        result.changed += change.provenance_history.count() > before
    return result
