"""GET /changes and /changes/{id}: the risk review's rows, and everything the change page shows."""

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from accountability.analysis.change_selectors import (
    ReviewFilters,
    change_for_page,
    changes_rows,
    evidence_notes,
    review_changes,
)
from accountability.analysis.models import Gap
from accountability.api.auth import ScopedTokenAuth
from accountability.api.change_parts import (
    blast_radius_out,
    commits_out,
    deployments_out,
    evidence_out,
    policy_out,
    provenance_out,
    risk_out,
    rollback_plan_out,
    signoffs_out,
)
from accountability.api.errors import ApiError, reject_unknown_query
from accountability.api.intake import router as intake_router
from accountability.api.models import ApiToken
from accountability.api.outputs import (
    ControlOut,
    ErrorOut,
    GateDecisionOut,
    PersonRef,
    Reason,
    ServiceRef,
    gate_decision_out,
    service_ref,
)
from accountability.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_time
from accountability.changes.ledger import signoffs_standing
from accountability.changes.models import AIProvenance, Change, Environment
from accountability.changes.rollback import rollback_plan_for
from accountability.gate.decisions import gate_decisions_for

router = Router(tags=["changes"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
AILevel = Literal["none", "assisted", "majority", "generated", "unknown"]


class ChangeFilters(Schema):
    team: str | None = Field(default=None, max_length=100, description="Owning team's slug")
    service: str | None = Field(default=None, max_length=100, description="Service slug")
    environment: str | None = Field(default=None, max_length=50, description="Deployed to this environment")
    period: Literal["24h", "7d", "30d", "90d"] | None = Field(
        default=None, description="Merged within; changes not merged yet are always included"
    )
    tier: int | None = Field(default=None, ge=1, le=4)
    ai_level: AILevel | None = None
    signoff: Literal["signed", "unsigned"] | None = None
    gap: Gap.Code | None = Field(default=None, description="Has this open gap (on itself or its service)")
    risk_min: int | None = Field(default=None, ge=0, le=100)
    risk_max: int | None = Field(default=None, ge=0, le=100)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2000, description="next_cursor of the previous page")


class ChangeItemOut(Schema):
    id: int
    service: ServiceRef
    team: str | None = Field(description="Owning team's slug")
    repository: str
    sha: str
    pr_number: int | None
    pr_url: str
    title: str
    author_logins: list[str]
    merged_at: datetime | None
    ai_level: AILevel = Field(description="unknown when no provenance signal was found")
    ai_share: float | None
    risk_score: int | None = Field(description="Empty until analysis ran")
    blast_radius_score: float | None
    production_decision: Literal["allow", "warn", "deny"] | None
    approved: bool = Field(description="A standing (not revoked) approval exists")
    last_signoff: str | None = Field(description="approve, reject or revoke")
    environments: list[str] = Field(description="Environments it was deployed to")
    url: str = Field(description="The change's page on the dashboard")


class ChangePage(Schema):
    items: list[ChangeItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; empty on the last")


class ProvenanceOut(Schema):
    level: AILevel
    ai_share: float | None
    tools: list[str]
    models: list[str]
    drivers: list[str] = Field(description="The humans who drove the AI")
    sources: list[str]
    confidence: str
    ai_lines: dict[str, Any] = Field(description='AI-written line ranges per file: {"path": [[start, end]]}')


class EvidenceOut(Schema):
    kind: str
    result: str
    url: str
    sha: str
    actor: str
    source: str
    at: datetime
    counts: bool = Field(description="Whether it counts as evidence (DESIGN §2.3)")
    why: str


class RollbackPlanOut(Schema):
    strategy: str
    steps: str
    expected_minutes: int | None
    data_reversible: bool
    last_rehearsed_at: datetime | None
    last_rehearsed_by: PersonRef | None
    inherited: bool = Field(description="The service's default plan, not one of the change's own")


class BlastRadiusOut(Schema):
    score: float
    unknown: bool = Field(description="The changed service's dependencies are unknown")
    impacted_count: int
    unknown_count: int
    impacted: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    on_call: list[dict[str, Any]]
    computed_at: datetime


class RiskOut(Schema):
    score: int
    factors: list[Reason]
    computed_at: datetime


class PolicyResultOut(Schema):
    environment: str
    decision: str
    controls: list[ControlOut]
    policy_version: int
    computed_at: datetime


class SignInOut(Schema):
    """How the signer had authenticated when they signed (entries written before this was recorded: null)."""

    method: str = Field(description="password or oidc")
    at: datetime | None
    provider: str = Field(description="the OpenID Connect issuer, or local")
    amr: str = Field(description="the provider's amr claim, as it sent it")
    acr: str


class SignOffOut(Schema):
    id: int
    signer: PersonRef
    decision: str
    revokes: int | None
    read_ai_parts: bool
    understood_blast_radius: bool
    rollback_ready: bool
    on_call_through_bake: bool
    delegate: PersonRef | None
    note: str
    override_reason: str
    policy_decision: str
    policy_version: int | None
    created_at: datetime
    hash: str
    authenticated: SignInOut | None


class DeploymentOut(Schema):
    environment: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    deployed_by: str
    url: str


class CommitOut(Schema):
    sha: str
    message: str
    author_login: str
    committed_at: datetime | None


class ChangeDetailOut(ChangeItemOut):
    merged_by: str
    files_changed: int
    additions: int
    deletions: int
    touches_schema_migration: bool
    labels: list[str]
    commits: list[CommitOut]
    provenance: ProvenanceOut
    evidence: list[EvidenceOut]
    rollback_plan: RollbackPlanOut | None
    blast_radius: BlastRadiusOut | None
    risk: RiskOut | None
    policy: list[PolicyResultOut]
    signoffs: list[SignOffOut]
    deployments: list[DeploymentOut]
    gate_decisions: list[GateDecisionOut]


def _optional(instance: Any, name: str) -> Any:
    """A reverse one-to-one that may not exist (select_related loaded it, or its absence, already)."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def _provenance(change: Change) -> AIProvenance | None:
    return _optional(change, "provenance")


def _item(request: HttpRequest, change: Change, *, deployments: list, approved: bool, last: str | None):
    provenance = _provenance(change)
    risk = _optional(change, "risk")
    radius = _optional(change, "blast_radius")
    # The review's selector prefetches only the production result (as `production_policy`).
    production = getattr(change, "production_policy", None)
    if production is None:
        production = [r for r in change.policy_results.all() if r.environment == Environment.PRODUCTION]
    service = change.service
    return {
        "id": change.id,
        "service": service_ref(service),
        "team": service.owner_team.slug if service.owner_team_id else None,
        "repository": change.repository,
        "sha": change.sha,
        "pr_number": change.pr_number,
        "pr_url": change.pr_url,
        "title": change.title,
        "author_logins": change.author_logins,
        "merged_at": change.merged_at,
        "ai_level": provenance.level if provenance else AIProvenance.Level.UNKNOWN,
        "ai_share": float(provenance.ai_share) if provenance and provenance.ai_share is not None else None,
        "risk_score": risk.score if risk else None,
        "blast_radius_score": radius.score if radius else None,
        "production_decision": production[0].decision if production else None,
        "approved": approved,
        "last_signoff": last,
        "environments": sorted({d.environment for d in deployments}),
        "url": request.build_absolute_uri(reverse("changes:detail", args=[change.id])),
    }


# Django routes one path to one view, so GET /changes lives on the router of POST /changes (the intake).
@intake_router.get(
    "/changes",
    response={200: ChangePage, **READ_ERRORS},
    summary="Changes, filtered as on the risk review; newest merge first",
    tags=["changes"],
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def change_list(request: HttpRequest, filters: Query[ChangeFilters]):
    reject_unknown_query(request, ChangeFilters)
    if filters.risk_min is not None and filters.risk_max is not None and filters.risk_min > filters.risk_max:
        raise ApiError(
            422,
            "the request is not valid",
            [{"field": "query.risk_min", "message": "must not be above risk_max"}],
        )
    changes = review_changes(
        filters=ReviewFilters(
            team=filters.team or "",
            service=filters.service or "",
            environment=filters.environment or "",
            period=filters.period or "",
            tier=filters.tier,
            ai_level=filters.ai_level or "",
            signoff=filters.signoff or "",
            gap=filters.gap or "",
            risk_min=filters.risk_min,
            risk_max=filters.risk_max,
        )
    )
    page, next_cursor = page_by_time(
        changes.only("id", "merged_at"),
        field="merged_at",
        kind="changes",
        cursor=filters.cursor,
        limit=filters.limit,
    )
    # The review's columns (evidence, sign-off state, policy) are loaded for this page's rows only.
    rows = changes_rows(ids=[change.id for change in page])
    items = [
        _item(
            request,
            change,
            deployments=list(change.deployments.all()),
            approved=change.approved,
            last=change.last_decision,
        )
        for change in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


def _detail(request: HttpRequest, change: Change) -> dict:
    """The list item of the change, and everything its page shows, part by part (api/change_parts.py)."""
    signoffs = list(change.signoffs.all())
    deployments = list(change.deployments.all())
    inherited = _optional(change.service, "default_rollback_plan")
    out = _item(
        request,
        change,
        deployments=deployments,
        approved=bool(signoffs_standing(signoffs)),
        last=signoffs[-1].decision if signoffs else None,
    )
    out.update(
        merged_by=change.merged_by.name if change.merged_by else change.merged_by_login,
        files_changed=change.files_changed,
        additions=change.additions,
        deletions=change.deletions,
        touches_schema_migration=change.touches_schema_migration,
        labels=change.labels,
        commits=commits_out(change.commits.all()),
        provenance=provenance_out(_provenance(change), ai_share=out["ai_share"]),
        evidence=evidence_out(evidence_notes(change=change)),
        rollback_plan=rollback_plan_out(rollback_plan_for(change=change, service_default=inherited)),
        blast_radius=blast_radius_out(_optional(change, "blast_radius")),
        risk=risk_out(_optional(change, "risk")),
        policy=policy_out(change.policy_results.all()),
        signoffs=signoffs_out(signoffs),
        deployments=deployments_out(deployments),
        gate_decisions=[gate_decision_out(decision) for decision in gate_decisions_for(change=change)],
    )
    return out


@router.get(
    "/changes/{change_id}",
    response={200: ChangeDetailOut, **READ_ERRORS},
    summary="One change with provenance, evidence, rollback plan, blast radius, risk, policy and sign-offs",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def change_detail(request: HttpRequest, change_id: int):
    reject_unknown_query(request)
    try:
        change = change_for_page(pk=change_id)
    except Change.DoesNotExist:
        raise ApiError(404, f"no change {change_id}") from None
    return _detail(request, change)


@router.get(
    "/services/{service}/changes/{sha}",
    response={200: ChangeDetailOut, **READ_ERRORS},
    summary="The change of a service at a commit sha (what a pipeline knows)",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def change_by_sha(request: HttpRequest, service: str, sha: str):
    reject_unknown_query(request)
    change_id = (
        Change.objects.filter(service__slug=service, sha=sha.lower()).values_list("id", flat=True).first()
    )
    if change_id is None:
        raise ApiError(
            404,
            f"no change {sha} of service {service!r}",
            [{"field": "path.sha", "message": "unknown change"}],
        )
    return _detail(request, change_for_page(pk=change_id))
