"""A change registered by CI: found as the GitHub adapter finds changes, merged in, its records kept."""

import hashlib
import json

from accountability.catalog.models import Person, Service
from accountability.changes.identity import change_find, change_for_merged_pull_request, sorted_union
from accountability.changes.models import Change, Commit, ProvenanceRecord, RollbackPlan
from accountability.changes.provenance import provenance_refresh
from accountability.changes.touched import touched_union
from accountability.ingest.errors import PayloadError
from accountability.ingest.models import Delivery
from accountability.ingest.schemas import (
    ChangeIn,
)
from accountability.ingest.sources.ci_api.events import EVIDENCE_SOURCE, GITHUB_PROVIDER, TOKEN_HEADER
from accountability.ingest.sources.ci_api.evidence import evidence_upsert, people_by_login
from accountability.ingest.upserts import change_link_people, lock, touches_migration


def change_registered(*, service: str, sha: str) -> Change:
    change = change_find(service=service, sha=sha)
    if change is None:
        raise PayloadError(f"no change {sha} of service {service!r} is registered")
    return change


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
    people = people_by_login([*payload.authors, payload.merged_by])
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
        evidence_upsert(change=change, item=item, received_at=delivery.received_at, sha=sha)
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
