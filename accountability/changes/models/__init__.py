"""The changes domain's models, by subject: a change and its deployments, what vouches for it, what AI
wrote of it. Imported from here as one module (`accountability.changes.models`), as code always has."""

from accountability.changes.models.change import (
    PENDING,
    REVIEW_FILTERS,
    Change,
    Commit,
    Deployment,
    Environment,
)
from accountability.changes.models.evidence import Evidence, RollbackPlan, SignOff
from accountability.changes.models.provenance import (
    AgentRule,
    AIProvenance,
    ProvenanceHistory,
    ProvenanceRecord,
)

__all__ = [
    "PENDING",
    "REVIEW_FILTERS",
    "AIProvenance",
    "AgentRule",
    "Change",
    "Commit",
    "Deployment",
    "Environment",
    "Evidence",
    "ProvenanceHistory",
    "ProvenanceRecord",
    "RollbackPlan",
    "SignOff",
]
