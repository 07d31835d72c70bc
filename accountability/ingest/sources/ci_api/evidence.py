"""Evidence sent by CI: attached to a change later, or a rollback rehearsal that dates the rollback plan."""

import hashlib
import json

from django.db.models import Q
from django.utils import timezone

from accountability.catalog.models import Person
from accountability.changes.models import Change, Evidence, RollbackPlan
from accountability.ingest.schemas import (
    EvidenceIn,
    RollbackRehearsalIn,
)
from accountability.ingest.sources.ci_api.events import ATTESTED_SOURCE, EVIDENCE_SOURCE


def people_by_login(logins: list[str]) -> dict[str, Person]:
    wanted = {login.lower() for login in logins if login}
    if not wanted:
        return {}
    query = Q()
    for login in wanted:
        query |= Q(github_login__iexact=login)
    return {person.github_login.lower(): person for person in Person.objects.filter(query)}


def evidence_upsert(
    *, change: Change, item: EvidenceIn, received_at, attested: bool = False, sha: str = ""
) -> Evidence:
    # Evidence is about the sha the request named (CI tested the PR head): not the sha the change is keyed
    # by, which the merge may change before or after, depending on which is applied first.
    # Without the client's id, the evidence is identified by what it says, so re-sending it is harmless.
    external_id = (
        item.id
        or hashlib.sha256(
            json.dumps([item.kind, item.result, item.url, item.sha, item.actor, item.detail]).encode()
        ).hexdigest()[:40]
    )
    recorder = people_by_login([item.actor]).get(item.actor.lower()) if item.actor else None
    evidence, _ = Evidence.objects.update_or_create(
        change=change,
        kind=item.kind,
        source=ATTESTED_SOURCE if attested and item.kind == Evidence.Kind.HUMAN_REVIEW else EVIDENCE_SOURCE,
        external_id=external_id,
        defaults={
            "result": item.result,
            "url": item.url or "",
            "sha": (item.sha or sha or change.sha).lower(),
            "actor_login": item.actor,
            "recorded_by": recorder,
            "detail": item.detail,
            "at": item.at or received_at or timezone.now(),
        },
    )
    return evidence


def rollback_rehearsal_record(*, change: Change, payload: RollbackRehearsalIn, received_at) -> Evidence:
    """Record a rehearsal as evidence; a passing one dates the plan (the change's own, else the service's)."""
    at = payload.at or received_at or timezone.now()
    detail = " ".join(
        part
        for part in (
            f"environment {payload.environment}",
            f"took {payload.duration_minutes} min" if payload.duration_minutes is not None else "",
            payload.detail,
        )
        if part
    )
    evidence = evidence_upsert(
        change=change,
        item=EvidenceIn(
            kind=Evidence.Kind.ROLLBACK_REHEARSAL,
            result=payload.result,
            url=payload.url,
            at=at,
            actor=payload.by,
            detail=detail,
            id=payload.id or f"rehearsal:{at.isoformat()}:{payload.environment}",
        ),
        received_at=received_at,
    )
    if payload.result == Evidence.Result.PASSED:
        plan = (
            RollbackPlan.objects.filter(change=change).first()
            or RollbackPlan.objects.filter(service_id=change.service_id).first()
        )
        if plan is not None and (plan.last_rehearsed_at is None or plan.last_rehearsed_at < at):
            plan.last_rehearsed_at = at
            plan.last_rehearsed_by = evidence.recorded_by
            plan.save(update_fields=["last_rehearsed_at", "last_rehearsed_by"])
    return evidence
