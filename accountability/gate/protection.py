"""GitHub custom deployment protection rule: the deploy gate answering GitHub's `deployment_protection_rule`.

GitHub sends `deployment_protection_rule` (action `requested`) when a workflow job targets an environment that
has our app as a protection rule, and then waits for one answer per environment on `deployment_callback_url`.
The webhook stores a ProtectionRuleRequest and a task answers it (never in the request: GitHub may be slow,
and a failed call is retried). A rejected request stays watched: after a sign-off on its change, and on a
beat schedule, it is evaluated again and approved once the gate allows it, while GitHub still waits.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accountability.api.models import GateDecision, ProtectionRuleRequest
from accountability.catalog.models import Service
from accountability.changes.models import Change
from accountability.gate.decisions import gate_decision_store, gate_evaluate, gate_failed_controls
from accountability.gate.github_app import GitHubAppError, deployment_protection_answer
from accountability.gate.tasks import protection_rule_answer_task
from accountability.ingest.errors import DeliveryIgnored, PayloadError
from accountability.ingest.models import Delivery
from accountability.ingest.payload import get
from accountability.ingest.upserts import environment_name, service_for_repository

State = ProtectionRuleRequest.State
APPROVED_DECISIONS = (GateDecision.Outcome.ALLOW, GateDecision.Outcome.WARN)


def _service_or_none(repository: str) -> Service | None:
    try:
        return service_for_repository(repository)
    except (DeliveryIgnored, PayloadError):
        # Unknown or ambiguous repository: still answered (a reject that says why), never left waiting.
        return None


def protection_rule_receive(event) -> str:
    """The GitHub adapter's handler for `deployment_protection_rule`: store the request, answer it on commit.

    `event` is the adapter's GitHubEvent (name, action, data). A redelivery finds the stored request.
    """
    if event.action != "requested":
        raise DeliveryIgnored(f"deployment_protection_rule {event.action or '(no action)'} needs no answer")
    data = event.data
    repository = get(data, "repository.full_name")
    github_environment = get(data, "environment")
    callback_url = get(data, "deployment_callback_url")
    if len(callback_url) > 1000:
        raise PayloadError("deployment_callback_url is longer than 1000 characters")
    request, created = ProtectionRuleRequest.objects.get_or_create(
        callback_url=callback_url,
        environment_name=github_environment[:255],
        defaults={
            "installation_id": get(data, "installation.id", int, default=None),
            "repository": repository[:200],
            "environment": environment_name(github_environment),
            "sha": get(data, "deployment.sha").lower()[:64],
            "deployment_id": get(data, "deployment.id", int, default=None),
            "service": _service_or_none(repository),
            "requested_at": timezone.now(),
        },
    )
    if created or request.state == State.PENDING:
        protection_rule_answer_task.delay_on_commit(request.pk)
    return Delivery.Status.PROCESSED


def protection_comment(*, decision: GateDecision) -> str:
    """The Markdown GitHub shows on the deployment: the verdict, then every failed control with its reason."""
    version = f" (policy v{decision.policy_version})" if decision.policy_version else ""
    head = (
        f"**Accountability gate: {decision.decision}**{version} for `{decision.service_slug}` "
        f"at `{decision.sha[:12]}` → {decision.environment}"
    )
    if decision.environment_mapping and decision.environment_requested.lower() != decision.environment:
        head += f"\n\nEnvironment: {decision.environment_mapping}."
    failed = gate_failed_controls(decision=decision)
    if not failed:
        return f"{head}\n\nEvery control passed."
    lines = [f"- ❌ **{c['label']}** ({c['level']}): {c['sentence']}" for c in failed]
    return "\n".join([head, "", "Failed controls:", *lines])


def protection_rule_answer(*, request_id: int) -> ProtectionRuleRequest | None:
    """Evaluate the gate for a waiting request and answer GitHub when there is something new to say.

    1. Lock the request; nothing to do unless it is pending or rejected-and-watched.
    2. Evaluate the gate (the repository's service may have been catalogued since the request came).
    3. A request already answered `rejected` is answered again only when the gate now allows it; an
       unchanged deny is not even stored, so the change page lists answers, not polls.
    4. POST the answer as the installation. GitHub refusing it for good (it no longer waits, the app lacks
       access) closes the request with the reason; a transient error propagates so the task retries.
    """
    with transaction.atomic():
        request = (
            ProtectionRuleRequest.objects.select_for_update()
            .filter(pk=request_id, state__in=ProtectionRuleRequest.WATCHED)
            .first()
        )
        if request is None:
            return None
        service = request.service or _service_or_none(request.repository)
        decision = gate_evaluate(
            service_slug=service.slug if service else request.repository,
            sha=request.sha,
            # GitHub's free-text name, classified afresh: a mapping an admin added since counts.
            environment=request.environment_name,
            requested_by=f"github:{request.repository}",
            service=service,
        )
        state = State.APPROVED if decision.decision in APPROVED_DECISIONS else State.REJECTED
        if state == State.REJECTED and request.state == State.REJECTED:
            return request
        gate_decision_store(decision=decision)
        request.service, request.last_decision = service, decision
        if request.installation_id is None:
            request.state, request.error = State.CLOSED, "the delivery names no GitHub App installation"
        else:
            try:
                deployment_protection_answer(
                    installation_id=request.installation_id,
                    callback_url=request.callback_url,
                    environment_name=request.environment_name,
                    state=state.value,
                    comment=protection_comment(decision=decision),
                )
            except GitHubAppError as refused:
                request.state, request.error = State.CLOSED, str(refused)[:2000]
            else:
                request.state, request.error = state, ""
                request.answers += 1
                request.answered_at = timezone.now()
        request.save()
    return request


def protection_rules_waiting_for(*, change: Change) -> list[int]:
    """Ids of watched requests deploying this change (its sha or one of its PR's commits)."""
    return list(
        ProtectionRuleRequest.objects.filter(
            state__in=ProtectionRuleRequest.WATCHED, service_id=change.service_id
        )
        .filter(Q(sha=change.sha) | Q(sha__in=change.commit_shas or [""]))
        .values_list("id", flat=True)
    )


def protection_rules_schedule_for_change(*, change: Change) -> None:
    """After a sign-off: re-evaluate the GitHub deployments of this change that still wait, on commit."""
    for request_id in protection_rules_waiting_for(change=change):
        protection_rule_answer_task.delay_on_commit(request_id)


def protection_rules_reevaluate() -> list[int]:
    """The beat's sweep: close requests watched for longer than GATE_PROTECTION_WATCH_HOURS, and return the
    ids of the others (to be re-evaluated one task each)."""
    cutoff = timezone.now() - timedelta(hours=settings.GATE_PROTECTION_WATCH_HOURS)
    watched = ProtectionRuleRequest.objects.filter(state__in=ProtectionRuleRequest.WATCHED)
    watched.filter(requested_at__lt=cutoff).update(
        state=State.CLOSED, error=f"no longer watched after {settings.GATE_PROTECTION_WATCH_HOURS} h"
    )
    return list(watched.filter(requested_at__gte=cutoff).order_by("id").values_list("id", flat=True)[:1000])
