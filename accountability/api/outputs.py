"""Response schemas shared by the read endpoints of /api/v1/."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class TeamRef(Schema):
    slug: str
    name: str


class PersonRef(Schema):
    id: int
    name: str
    email: str
    github_login: str


class ServiceRef(Schema):
    slug: str
    name: str
    tier: int


class Reason(Schema):
    code: str
    points: float
    sentence: str


class ControlOut(Schema):
    code: str
    label: str = ""
    level: str = Field(description="required or recommended")
    passed: bool
    sentence: str


class GateDecisionOut(Schema):
    id: int
    decision: str = Field(description="allow, warn or deny")
    environment: str
    controls: list[ControlOut]
    policy_version: int | None
    requested_by: str
    at: datetime


class OnCallOut(Schema):
    person: PersonRef
    team: str = Field(description="Slug of the team whose rota it is")
    escalation_level: int
    until: datetime


def person_ref(person) -> PersonRef | None:
    if person is None:
        return None
    return PersonRef(id=person.id, name=person.name, email=person.email, github_login=person.github_login)


def team_ref(team) -> TeamRef | None:
    return TeamRef(slug=team.slug, name=team.name) if team is not None else None


def service_ref(service) -> ServiceRef:
    return ServiceRef(slug=service.slug, name=service.name, tier=service.tier)


def gate_decision_out(decision) -> GateDecisionOut:
    return GateDecisionOut(
        id=decision.id,
        decision=decision.decision,
        environment=decision.environment,
        controls=[_control(control) for control in decision.controls],
        policy_version=decision.policy_version,
        requested_by=decision.requested_by,
        at=decision.at,
    )


def _control(control: dict[str, Any]) -> ControlOut:
    return ControlOut(
        code=control.get("code", ""),
        label=control.get("label", ""),
        level=control.get("level") or control.get("requirement", ""),
        passed=bool(control.get("passed")),
        sentence=control.get("sentence", ""),
    )


def controls_out(controls: list[dict[str, Any]]) -> list[ControlOut]:
    """Stored controls (gate decisions say `level`, policy results `requirement`) in one shape."""
    return [_control(control) for control in controls]


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    message: str
    errors: list[FieldError] = Field(default_factory=list)


class IntakeOut(Schema):
    delivery_id: int
    status: str = Field(description="pending (applied shortly by a worker), processed or failed")
    duplicate: bool = Field(description="True when this request was already received (a retry)")
    change_id: int | None = None
    ai_level: str | None = None
    changes: list[int] = Field(default_factory=list, description="Changes whose provenance was recomputed")
    error: str = ""


class DeliveryOut(Schema):
    delivery_id: int
    event_type: str
    status: str
    error: str
    received_at: datetime
    processed_at: datetime | None
