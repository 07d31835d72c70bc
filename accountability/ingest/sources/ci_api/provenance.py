"""Provenance records sent by CI (git-ai notes, Agent Trace), kept by commit until their change comes."""

import hashlib
import json

from django.db.models import Q

from accountability.changes.models import Change, ProvenanceRecord
from accountability.changes.provenance import provenance_refresh
from accountability.ingest.models import Delivery
from accountability.ingest.schemas import (
    ProvenanceRecordsIn,
)
from accountability.ingest.sources.ci_api.events import TOKEN_HEADER


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
