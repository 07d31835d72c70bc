"""CI intake API deliveries: a change registration, evidence attached later, a rollback rehearsal.

The API (accountability/api/intake.py) authenticates the token and validates the body, then stores it as a
Delivery of the `api` source; this adapter re-reads it with the same schemas and applies it. Every write is
an upsert on a natural key, so a replayed delivery changes nothing.
"""

import hashlib
import json

from django.db.models import Q
from django.utils import timezone
from pydantic import ValidationError

from accountability.catalog.models import Person, Service
from accountability.changes.models import Change, Commit, Evidence, ProvenanceRecord, RollbackPlan
from accountability.changes.provenance import provenance_refresh
from accountability.changes.touched import touched_union
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source
from accountability.ingest.schemas import (
    ChangeIn,
    EvidenceAttachIn,
    EvidenceIn,
    ProvenanceRecordsIn,
    RollbackRehearsalIn,
)
from accountability.ingest.upserts import (
    change_for_merged_pull_request,
    change_link_people,
    lock,
    sorted_union,
    touches_migration,
)

EVENT_HEADER = "X-Intake-Event"
SERVICE_HEADER = "X-Intake-Service"
SHA_HEADER = "X-Intake-Sha"
TOKEN_HEADER = "X-Intake-Token-Name"  # noqa: S105 - names the token, holds no secret
# Set by the API face, never from the request: the token that sent the delivery may attest reviews.
ATTEST_HEADER = "X-Intake-Reviews-Attested"

CHANGE_REGISTERED = "change.registered"
EVIDENCE_ATTACHED = "evidence.attached"
ROLLBACK_REHEARSED = "rollback.rehearsed"
PROVENANCE_RECORDED = "provenance.recorded"
SCHEMAS = {
    CHANGE_REGISTERED: ChangeIn,
    EVIDENCE_ATTACHED: EvidenceAttachIn,
    ROLLBACK_REHEARSED: RollbackRehearsalIn,
    PROVENANCE_RECORDED: ProvenanceRecordsIn,
}
# Events about one change name it in the headers; the others carry their own keys.
TARGETED = {EVIDENCE_ATTACHED, ROLLBACK_REHEARSED}
SOURCE_NAME = "ci-api"
EVIDENCE_SOURCE = "api"
ATTESTED_SOURCE = "api-attested"  # one of Evidence.REVIEW_SOURCES
GITHUB_PROVIDER = "github"  # what the GitHub adapter writes in Change.described_by


def intake_source() -> Source:
    """The one `api` source every token's deliveries are stored under (the token is named in the headers)."""
    source, _ = Source.objects.get_or_create(name=SOURCE_NAME, defaults={"kind": Source.Kind.API})
    return source


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    # Nothing reaches this source through a webhook receiver: the API authenticates its bearer tokens itself.
    raise SignatureError("the CI API accepts deliveries only at /api/v1/, with a token")


def validation_errors(error: ValidationError, *, prefix: str = "body") -> list[dict]:
    """Pydantic errors as [{"field": "body.evidence.0.kind", "message": ...}]."""
    return [
        {"field": ".".join([prefix, *(str(part) for part in item["loc"])]), "message": item["msg"]}
        for item in error.errors()
    ]


def parse(*, body: bytes, headers: dict):
    event = headers.get(EVENT_HEADER, "")
    schema = SCHEMAS.get(event)
    if schema is None:
        raise PayloadError(f"unknown intake event {event!r}")
    try:
        payload = schema.model_validate_json(body)
    except ValidationError as error:
        problems = "; ".join(f"{e['field']}: {e['message']}" for e in validation_errors(error))
        raise PayloadError(f"invalid {event}: {problems}") from None
    if event in TARGETED and not (headers.get(SERVICE_HEADER) and headers.get(SHA_HEADER)):
        raise PayloadError(f"{event} needs the {SERVICE_HEADER} and {SHA_HEADER} headers")
    return payload


def delivery_apply(*, delivery: Delivery, payload) -> str:
    headers = delivery.headers
    if isinstance(payload, ChangeIn):
        change_register(delivery=delivery, payload=payload)
    elif isinstance(payload, ProvenanceRecordsIn):
        provenance_records_store(delivery=delivery, payload=payload)
    else:
        change = _change(service=headers[SERVICE_HEADER], sha=headers[SHA_HEADER])
        if isinstance(payload, EvidenceAttachIn):
            attested = headers.get(ATTEST_HEADER) == "1"
            for item in payload.evidence:
                _evidence_upsert(
                    change=change,
                    item=item,
                    received_at=delivery.received_at,
                    attested=attested,
                    sha=headers[SHA_HEADER],
                )
        else:
            rollback_rehearsal_record(change=change, payload=payload, received_at=delivery.received_at)
    return Delivery.Status.PROCESSED


def change_find(
    *, service: str, sha: str, repository: str = "", pr_number: int | None = None
) -> Change | None:
    """The change a CI request is about, found as the GitHub adapter finds changes.

    By (service, sha); else by its pull request; else as the change one of whose commits `sha` is (CI built
    the PR's head, the merge made the change). So CI and webhooks describing one change make one row.
    """
    changes = Change.objects.filter(service__slug=service).select_related("service").order_by("id")
    sha = sha.lower()
    return (
        changes.filter(sha=sha).first()
        or (
            changes.filter(repository__iexact=repository, pr_number=pr_number).first()
            if repository and pr_number
            else None
        )
        or changes.filter(commit_shas__contains=[sha]).first()
    )


def _change(*, service: str, sha: str) -> Change:
    change = change_find(service=service, sha=sha)
    if change is None:
        raise PayloadError(f"no change {sha} of service {service!r} is registered")
    return change


def _people_by_login(logins: list[str]) -> dict[str, Person]:
    wanted = {login.lower() for login in logins if login}
    if not wanted:
        return {}
    query = Q()
    for login in wanted:
        query |= Q(github_login__iexact=login)
    return {person.github_login.lower(): person for person in Person.objects.filter(query)}


def change_register(*, delivery: Delivery, payload: ChangeIn) -> Change:
    """Upsert the change, its commits, provenance documents, evidence and rollback plan; refresh provenance.

    1. The change, under the same advisory lock the GitHub adapter takes for the repository, so a CI call
       and the webhooks about one PR are applied one after the other, never interleaved; found by
       `change_find` or created at (service, sha). A merged registration (merged_at sent) of a PR known so
       far only by its head sha folds that stand-in to the registered (merge) sha, as the merged PR's
       webhook does, so a head sha and its merge sha are one change whichever arrives first.
    2. What it says is merged in (`_change_merge`): it fills in what is blank, never blanks what is known;
       accumulations (commit shas, labels, "touches a migration", what it touched) are unions.
    3. Its commits, keyed by (change, sha).
    4. Provenance: the attestation (one per delivery), git-ai notes (one per commit) and Agent Trace records
       (one per record id) as ProvenanceRecords.
    5. Evidence, keyed by the client's id or by what it says; the rollback plan, one per change.
    6. `provenance_refresh` recomputes the AI provenance from everything now stored.
    """
    service = Service.objects.filter(slug=payload.service).first()
    if service is None:
        raise PayloadError(f"no service with slug {payload.service!r}")
    repository = payload.repository or (service.repositories[0] if len(service.repositories) == 1 else "")
    lock(f"github:{repository.lower()}" if repository else f"service:{service.pk}")
    people = _people_by_login([*payload.authors, payload.merged_by])
    sha = payload.sha.lower()
    change = change_find(
        service=service.slug, sha=sha, repository=payload.repository, pr_number=payload.pr_number
    )
    if (
        change is not None
        and change.sha != sha
        and change.merged_at is None
        and payload.merged_at is not None
        and payload.pr_number
        and change.pr_number == payload.pr_number
    ):
        change = change_for_merged_pull_request(
            service=service,
            repository=change.repository or repository,
            number=payload.pr_number,
            merge_sha=sha,
            head_sha=change.sha,
        )
    if change is None:
        change = Change.objects.create(service=service, sha=sha, repository=payload.repository)
    _change_merge(change=change, payload=payload, people=people)
    change_link_people(change)
    for commit in payload.commits:
        Commit.objects.update_or_create(
            change=change,
            sha=commit.sha.lower(),
            defaults={
                "message": commit.message,
                "author_login": commit.author_login,
                "author_name": commit.author_name,
                "author_email": commit.author_email,
                "committed_at": commit.committed_at,
            },
        )
    if payload.provenance is not None:
        _provenance_records(change=change, delivery=delivery, payload=payload)
    for item in payload.evidence:
        _evidence_upsert(change=change, item=item, received_at=delivery.received_at, sha=sha)
    if payload.rollback_plan is not None:
        RollbackPlan.objects.update_or_create(change=change, defaults=payload.rollback_plan.model_dump())
    provenance_refresh(change=change)
    return change


def _change_merge(*, change: Change, payload: ChangeIn, people: dict[str, Person]) -> None:
    """Fold a registration into the change: what it sends replaces what is known, blanks never do.

    The merged PR's webhook is the authority on title, authors and size and overwrites them whenever it
    comes; once it has described the change (`described_by` github) a CI call only fills in blanks. So the
    end state is the same whichever of the two is applied first — the property the concurrency test
    checks — while a CI-only change can still be registered again with a corrected title.
    """
    revises = change.described_by != GITHUB_PROVIDER
    if revises:
        change.described_by = EVIDENCE_SOURCE
    sha = payload.sha.lower()
    filled = {
        "repository": payload.repository,
        "pr_number": payload.pr_number,
        "pr_url": payload.pr_url or "",
        "title": payload.title,
        "merged_by_login": payload.merged_by,
        "merged_by": people.get(payload.merged_by.lower()) if payload.merged_by else None,
        "merged_at": payload.merged_at,
        "files_changed": payload.files_changed,
        "additions": payload.additions,
        "deletions": payload.deletions,
    }
    for name, value in filled.items():
        if value not in (None, "", 0) and (revises or getattr(change, name) in (None, "", 0)):
            setattr(change, name, value)
    if payload.authors and (revises or not change.author_logins):
        change.author_logins = list(payload.authors)
    change.labels = sorted_union(change.labels, payload.labels)
    # The registered sha and the commits sent are this change's, whichever sha it is keyed by.
    commits = [sha, *(commit.sha.lower() for commit in payload.commits)]
    change.commit_shas = sorted_union(change.commit_shas, [c for c in commits if c != change.sha])
    change.touches_schema_migration = (
        change.touches_schema_migration
        or payload.touches_schema_migration
        or touches_migration(payload.paths)
    )
    change.touched = touched_union(change.touched, payload.paths)
    change.save()


def _provenance_records(*, change: Change, delivery: Delivery, payload: ChangeIn) -> None:
    provenance = payload.provenance
    recorded_by = delivery.headers.get(TOKEN_HEADER, "")
    attestation = provenance.model_dump(
        mode="json", include={"ai_used", "level", "ai_share", "tools", "models", "drivers", "ai_lines"}
    )
    if any(value not in (None, [], {}) for value in attestation.values()):
        ProvenanceRecord.objects.update_or_create(
            kind=ProvenanceRecord.Kind.API_ATTESTATION,
            repository=change.repository,
            commit_sha=change.sha,
            external_id=delivery.external_id,
            defaults={"change": change, "content": json.dumps(attestation), "recorded_by": recorded_by},
        )
    for note in provenance.git_ai_notes:
        ProvenanceRecord.objects.update_or_create(
            kind=ProvenanceRecord.Kind.GIT_AI_NOTE,
            repository=change.repository,
            commit_sha=note.commit_sha.lower(),
            external_id=f"refs/notes/ai:{note.commit_sha.lower()}",
            defaults={"change": change, "content": note.note, "recorded_by": recorded_by},
        )
    for record in provenance.agent_traces:
        content = json.dumps(record, sort_keys=True)
        vcs = record.get("vcs") if isinstance(record.get("vcs"), dict) else {}
        revision = str(vcs.get("revision", "")) if vcs.get("type") == "git" else ""
        ProvenanceRecord.objects.update_or_create(
            kind=ProvenanceRecord.Kind.AGENT_TRACE,
            repository=change.repository,
            commit_sha=(revision or change.sha).lower()[:64],
            external_id=str(record.get("id") or hashlib.sha256(content.encode()).hexdigest())[:200],
            defaults={"change": change, "content": content, "recorded_by": recorded_by},
        )


def changes_with_commits(*, shas: list[str], repository: str = ""):
    """Changes deployed at, or made of, any of `shas` (a commit may arrive before or after its change)."""
    shas = [sha.lower() for sha in shas]
    changes = Change.objects.filter(Q(sha__in=shas) | Q(commit_shas__overlap=shas) | Q(commits__sha__in=shas))
    if repository:
        changes = changes.filter(Q(repository="") | Q(repository__iexact=repository))
    return changes.distinct().order_by("id")


def provenance_records_store(*, delivery: Delivery, payload: ProvenanceRecordsIn) -> list[Change]:
    """Store git-ai notes and Agent Trace records by commit, then refresh the changes holding those commits.

    A record whose change is not registered yet waits: `provenance_refresh` finds it by commit sha when the
    change arrives.
    """
    recorded_by = delivery.headers.get(TOKEN_HEADER, "")
    shas = []
    for note in payload.git_ai_notes:
        sha = note.commit_sha.lower()
        shas.append(sha)
        ProvenanceRecord.objects.update_or_create(
            kind=ProvenanceRecord.Kind.GIT_AI_NOTE,
            repository=payload.repository,
            commit_sha=sha,
            external_id=f"refs/notes/ai:{sha}",
            defaults={"content": note.note, "recorded_by": recorded_by},
        )
    for record in payload.agent_traces:
        content = json.dumps(record, sort_keys=True)
        sha = str(record["vcs"]["revision"]).lower()
        shas.append(sha)
        ProvenanceRecord.objects.update_or_create(
            kind=ProvenanceRecord.Kind.AGENT_TRACE,
            repository=payload.repository,
            commit_sha=sha,
            external_id=str(record.get("id") or hashlib.sha256(content.encode()).hexdigest())[:200],
            defaults={"content": content, "recorded_by": recorded_by},
        )
    changes = list(changes_with_commits(shas=shas, repository=payload.repository))
    for change in changes:
        provenance_refresh(change=change)
    return changes


def _evidence_upsert(
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
    recorder = _people_by_login([item.actor]).get(item.actor.lower()) if item.actor else None
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
    evidence = _evidence_upsert(
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
