"""Request bodies of the CI intake API.

The same schemas validate a request in the API and re-read the stored delivery in the `api` ingest adapter, so
what was accepted is exactly what gets applied.
"""

import re
from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, HttpUrl, field_validator, model_validator

from accountability.changes.models import AIProvenance, Evidence, RollbackPlan
from accountability.changes.provenance_documents import (
    ProvenanceParseError,
    agent_trace_parse,
    git_ai_note_parse,
)

Sha = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{7,64}$", description="A commit sha (7 to 64 hex digits)")]
Login = Annotated[str, Field(min_length=1, max_length=100)]
MAX_INT = 2**31 - 1  # PostgreSQL integer, the columns' type


def _url_of_at_most(limit: int):
    """An http(s) URL as text, no longer than the column that stores it."""

    def check(value: HttpUrl | None) -> str:
        text = str(value) if value else ""
        if len(text) > limit:
            raise ValueError(f"URL longer than {limit} characters")
        return text

    return Annotated[HttpUrl | None, AfterValidator(check), Field(default=None)]


Url = _url_of_at_most(500)
PullRequestUrl = _url_of_at_most(200)


class Strict(Schema):
    # A misspelt field is an error the pipeline author should see, not a silently ignored one.
    model_config = ConfigDict(extra="forbid")


class EvidenceIn(Strict):
    kind: Evidence.Kind
    result: Evidence.Result
    url: Url = None
    sha: Sha | None = Field(default=None, description="The commit it is about; default: the change's sha")
    at: datetime | None = Field(default=None, description="When it was produced; default: when received")
    actor: str = Field(default="", max_length=100, description="Reviewer or recorder (GitHub login)")
    detail: str = Field(default="", max_length=5000)
    id: str | None = Field(
        default=None,
        max_length=150,
        description="Your id for it; sending it again updates, not duplicates",
    )


class GitAiNoteIn(Strict):
    commit_sha: Sha
    note: str = Field(min_length=1, max_length=1_000_000, description="`git notes --ref=ai show <sha>`")

    @field_validator("note")
    @classmethod
    def _is_a_git_ai_note(cls, note: str) -> str:
        try:
            git_ai_note_parse(note)
        except ProvenanceParseError as error:
            raise ValueError(str(error)) from None
        return note


class ProvenanceIn(Strict):
    """What the pipeline knows about AI involvement; line-level documents are the strongest evidence."""

    ai_used: bool | None = None
    level: AIProvenance.Level | None = None
    ai_share: float | None = Field(default=None, ge=0, le=1)
    tools: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)
    models: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)
    drivers: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=20, description="The humans who drove the AI"
    )
    ai_lines: dict[str, list[tuple[int, int]]] = Field(
        default_factory=dict, description='AI-written line ranges per file: {"path": [[start, end], ...]}'
    )
    git_ai_notes: list[GitAiNoteIn] = Field(default_factory=list, max_length=500)
    agent_traces: list[dict[str, Any]] = Field(
        default_factory=list, max_length=500, description="Agent Trace records, as the tool wrote them"
    )

    @field_validator("agent_traces")
    @classmethod
    def _are_agent_trace_records(cls, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, record in enumerate(records):
            try:
                agent_trace_parse(record)
            except ProvenanceParseError as error:
                raise ValueError(f"record {index}: {error}") from None
        return records

    @model_validator(mode="after")
    def _ranges_are_lines(self):
        for ranges in self.ai_lines.values():
            for start, end in ranges:
                if start < 1 or end < start:
                    raise ValueError(f"line range [{start}, {end}] is not a range of lines")
        return self


class RollbackPlanIn(Strict):
    strategy: RollbackPlan.Strategy
    steps: str = Field(default="", max_length=10_000)
    expected_minutes: int | None = Field(default=None, ge=0, le=10_000)
    data_reversible: bool = True


class CommitIn(Strict):
    sha: Sha
    message: str = Field(default="", max_length=100_000)
    author_login: str = Field(default="", max_length=100)
    author_name: str = Field(default="", max_length=200)
    author_email: str = Field(default="", max_length=254)
    committed_at: datetime | None = None


class ChangeIn(Strict):
    service: str = Field(min_length=1, max_length=100, description="Slug of the service being changed")
    sha: Sha = Field(description="The commit that gets deployed")
    repository: str = Field(default="", max_length=200, description="owner/name")
    pr_number: int | None = Field(default=None, ge=1, le=MAX_INT)
    pr_url: PullRequestUrl = None
    title: str = Field(default="", max_length=500)
    authors: list[Login] = Field(default_factory=list, max_length=50, description="GitHub logins")
    merged_by: str = Field(default="", max_length=100)
    merged_at: datetime | None = None
    files_changed: int = Field(default=0, ge=0, le=MAX_INT)
    additions: int = Field(default=0, ge=0, le=MAX_INT)
    deletions: int = Field(default=0, ge=0, le=MAX_INT)
    touches_schema_migration: bool = False
    labels: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    # Bounded so that a full list stays far below the request body limit: past 1,000 paths what a change
    # touched is already known.
    paths: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list,
        max_length=1000,
        description="Paths the change added, modified or removed: what it touched (runtime code, config, "
        "schema migration, infrastructure, docs, tests) weighs in suspect ranking",
    )
    commits: list[CommitIn] = Field(default_factory=list, max_length=1000)
    provenance: ProvenanceIn | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=200)
    rollback_plan: RollbackPlanIn | None = None


class EvidenceAttachIn(Strict):
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=200)


class RollbackRehearsalIn(Strict):
    result: Evidence.Result
    at: datetime | None = Field(default=None, description="When it was rehearsed; default: when received")
    by: str = Field(default="", max_length=100, description="Who rehearsed it (GitHub login or e-mail)")
    environment: str = Field(default="staging", max_length=50)
    duration_minutes: int | None = Field(default=None, ge=0, le=10_000)
    url: Url = None
    detail: str = Field(default="", max_length=5000)
    id: str | None = Field(default=None, max_length=150)


class ProvenanceRecordsIn(Strict):
    """Line-level provenance documents for commits, sent as they are written (by a post-commit hook or CI),
    before or after the change that will contain the commits is registered."""

    repository: str = Field(default="", max_length=200, description="owner/name; empty matches any")
    git_ai_notes: list[GitAiNoteIn] = Field(default_factory=list, max_length=500)
    agent_traces: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=500,
        description="Agent Trace records (application/vnd.agent-trace.record+json) with vcs.type git",
    )

    @field_validator("agent_traces")
    @classmethod
    def _are_git_trace_records(cls, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, record in enumerate(records):
            try:
                agent_trace_parse(record)
            except ProvenanceParseError as error:
                raise ValueError(f"record {index}: {error}") from None
            vcs = record.get("vcs")
            revision = vcs.get("revision") if isinstance(vcs, dict) else None
            if not (
                isinstance(vcs, dict)
                and vcs.get("type") == "git"
                and isinstance(revision, str)
                and re.fullmatch(r"[0-9a-fA-F]{7,64}", revision)
            ):
                raise ValueError(f"record {index}: vcs must name the git commit (type git, revision sha)")
        return records

    @model_validator(mode="after")
    def _not_empty(self):
        if not self.git_ai_notes and not self.agent_traces:
            raise ValueError("send at least one git-ai note or Agent Trace record")
        return self
