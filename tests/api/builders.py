"""Changes in the states the gate and the protection rule tests need, built from factories."""

from datetime import timedelta

from django.utils import timezone

from accountability.changes.models import AIProvenance, Evidence
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    EvidenceFactory,
    RollbackPlanFactory,
    ServiceFactory,
)


def change_awaiting_signoff(*, tier: int = 1, slug: str = "payments", repository: str = "acme/payments"):
    """A tier-1 change that meets every control but the owner's sign-off: denied until they sign."""
    service = ServiceFactory(tier=tier, slug=slug, repositories=[repository])
    change = ChangeFactory(service=service, repository=repository, title="Retry card captures")
    AIProvenanceFactory(change=change, level=AIProvenance.Level.NONE)
    EvidenceFactory(change=change, kind=Evidence.Kind.CI_TESTS, sha=change.sha)
    EvidenceFactory(change=change, kind=Evidence.Kind.HUMAN_REVIEW, actor_login="reviewer")
    RollbackPlanFactory(change=change, last_rehearsed_at=timezone.now() - timedelta(days=10))
    return change
