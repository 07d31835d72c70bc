"""The deploy gate (DESIGN §11): may this sha of this service go to this environment now?

The answer is the active policy evaluated live for the change (analysis/policy.py decides; nothing here
re-implements a control), stored as a GateDecision with the policy version, and shown on the change page.
"""

from django.db.models import QuerySet
from django.utils import timezone

from accountability.analysis.policy import REQUIRED, policy_evaluate
from accountability.api.models import ApiToken, GateDecision
from accountability.catalog.environments import environment_classify
from accountability.catalog.models import Service
from accountability.changes.identity import change_deployed_at
from accountability.changes.models import Change
from accountability.gate.commit_status import commit_status_queue
from accountability.notify.triggers import signoff_needed_notify

DENY = GateDecision.Outcome.DENY
WARN = GateDecision.Outcome.WARN


def _control(code: str, label: str, sentence: str, *, passed: bool = False, level: str = REQUIRED) -> dict:
    return {"code": code, "label": label, "level": level, "passed": passed, "sentence": sentence}


def gate_evaluate(
    *,
    service_slug: str,
    sha: str,
    environment: str,
    token: ApiToken | None = None,
    requested_by: str = "",
    service: Service | None = None,
) -> GateDecision:
    """The gate's answer for one deploy, not yet stored.

    1. Resolve the service (by slug, unless the caller already has it); an unknown one is a deny with a
       control saying so, not an error: the pipeline asked a yes/no question.
    2. Find the change at `sha`; an unregistered change is a deny ("change not registered").
    3. Evaluate the active policy for the change and the environment's class (catalog/environments.py: an
       admin's mapping, or production for a name nobody mapped); the decision records which mapping applied.
       A deny that the owner overrode with a written reason becomes a warn: the deploy may go ahead, and the
       override shows as a passed control naming the reason (the gap scan reports it as POLICY_OVERRIDDEN).
    """
    sha = sha.strip().lower()
    classified = environment_classify(name=environment)
    ours = classified.environment
    service = service or Service.objects.filter(slug=service_slug).first()
    change = change_deployed_at(service=service, sha=sha) if service is not None else None
    policy_version = None
    if service is None:
        decision = DENY
        controls = [
            _control(
                "service_registered",
                "Service is registered",
                f"No service {service_slug!r} is registered; add it to the catalog first.",
            )
        ]
    elif change is None:
        decision = DENY
        controls = [
            _control(
                "change_registered",
                "Change is registered",
                f"Change not registered: no change of {service.slug} at {sha[:12]} is known. Register it "
                "with POST /api/v1/changes (or let the GitHub webhook deliver its pull request) first.",
            )
        ]
    else:
        evaluation = policy_evaluate(change=change, environment=ours)
        decision = evaluation.decision
        policy_version = evaluation.policy_version
        controls = [
            _control(c.code, c.label, c.sentence, passed=c.passed, level=c.requirement)
            for c in evaluation.controls
        ]
        if decision == DENY and evaluation.override_reason:
            decision = WARN
            controls.append(
                _control(
                    "owner_override",
                    "Owner overrode the policy",
                    f"The owner approved despite the failed controls: “{evaluation.override_reason}”.",
                    passed=True,
                )
            )
    return GateDecision(
        change=change,
        service=service,
        service_slug=service.slug if service is not None else service_slug[:200],
        sha=sha[:64],
        environment=ours,
        environment_requested=environment[:100],
        environment_mapping=classified.mapping[:300],
        decision=decision,
        controls=controls,
        policy_version=policy_version,
        requested_by_token=token,
        requested_by=requested_by or (f"api:{token.name}" if token else ""),
        at=timezone.now(),
    )


def gate_decide(
    *,
    service_slug: str,
    sha: str,
    environment: str,
    token: ApiToken | None = None,
    requested_by: str = "",
    service: Service | None = None,
) -> GateDecision:
    """`gate_evaluate`, stored: every answer the gate gives is kept and shown on the change page."""
    decision = gate_evaluate(
        service_slug=service_slug,
        sha=sha,
        environment=environment,
        token=token,
        requested_by=requested_by,
        service=service,
    )
    gate_decision_store(decision=decision)
    return decision


def gate_decision_store(*, decision: GateDecision) -> None:
    """Keep a decision; a deny for a missing or invalid sign-off tells the owner and the team at once, and
    a production answer is written back to GitHub as a commit status."""
    decision.save(force_insert=True)
    commit_status_queue(decision=decision)
    if decision.decision == DENY and decision.change is not None:
        signoff_needed_notify(
            change=decision.change, environment=decision.environment, controls=decision.controls
        )


def gate_status_refresh(*, change: Change) -> None:
    """After a sign-off: what the gate would now answer for production, written back to GitHub (not
    stored as a decision: nobody asked the gate)."""
    if change.service_id is not None:
        decision = gate_evaluate(
            service_slug=change.service.slug, sha=change.sha, environment="production", service=change.service
        )
        commit_status_queue(decision=decision)


def gate_failed_controls(*, decision: GateDecision) -> list[dict]:
    return [control for control in decision.controls if not control["passed"]]


def gate_decisions_for(*, change: Change, limit: int = 50) -> QuerySet[GateDecision]:
    """The change's gate decisions, newest first, for its page."""
    return (
        GateDecision.objects.filter(change=change)
        .select_related("requested_by_token")
        .order_by("-at", "-id")[:limit]
    )
