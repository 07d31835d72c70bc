"""POST /api/v1/gate: the deploy gate for any CI system."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from accountability.api.auth import ScopedTokenAuth, token_writes_for
from accountability.api.errors import reject_unknown_query
from accountability.api.models import ApiToken
from accountability.api.outputs import ControlOut, ErrorOut, controls_out
from accountability.audit.services import audit_record
from accountability.gate.decisions import gate_decide
from accountability.ingest.schemas import Sha, Strict

router = Router(tags=["gate"])


class GateIn(Strict):
    service: str = Field(min_length=1, max_length=100, description="Slug of the service being deployed")
    sha: Sha = Field(description="The commit being deployed")
    environment: str = Field(
        default="production",
        min_length=1,
        max_length=50,
        description='e.g. "production", "prd", "staging": classified by the environment mappings, and '
        "treated as production when no mapping covers it",
    )


class GateChangeOut(Schema):
    id: int
    service: str
    sha: str
    title: str
    url: str = Field(description="The change's page on this dashboard")


class GateOut(Schema):
    id: int = Field(description="The stored decision")
    decision: Literal["allow", "warn", "deny"] = Field(
        description="allow and warn: the deploy may proceed (warn lists recommended controls that failed)"
    )
    controls: list[ControlOut]
    policy_version: int | None = Field(description="Empty when there was no change to evaluate")
    environment: str = Field(description="The class the environment was given: production, staging, …")
    environment_mapping: str = Field(description="Which mapping classified the requested environment")
    change: GateChangeOut | None
    at: datetime


@router.post(
    "/gate",
    response={200: GateOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="May this sha of this service be deployed to this environment now?",
    description=(
        "Evaluates the active policy for the change and records the decision. An unknown service or an "
        "unregistered change is a `deny` with a control saying so, never a 404."
    ),
    auth=ScopedTokenAuth(ApiToken.Scope.GATE),
)
def gate(request: HttpRequest, payload: GateIn):
    token: ApiToken = request.auth
    reject_unknown_query(request)
    token_writes_for(token, service=payload.service)
    decision = gate_decide(
        service_slug=payload.service, sha=payload.sha, environment=payload.environment, token=token
    )
    audit_record(
        actor=None,
        actor_label=f"api:{token.name}",
        action="api.gate",
        obj=decision,
        detail={"service": payload.service, "sha": payload.sha, "decision": decision.decision},
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    change = decision.change
    return GateOut(
        id=decision.id,
        decision=decision.decision,
        controls=controls_out(decision.controls),
        policy_version=decision.policy_version,
        environment=decision.environment,
        environment_mapping=decision.environment_mapping,
        change=GateChangeOut(
            id=change.id,
            service=change.service.slug,
            sha=change.sha,
            title=change.title,
            url=request.build_absolute_uri(reverse("changes:detail", args=[change.id])),
        )
        if change is not None
        else None,
        at=decision.at,
    )
