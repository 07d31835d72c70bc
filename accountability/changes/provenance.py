"""AI provenance of a change (DESIGN §6): how much of it an AI tool wrote, which tool and model, who drove it.

Line-level documents and attestations are parsed by provenance_documents.py; commits, agent accounts and
PR labels are read through the registry of AI coding agents (registry.py, detection.py), every signal naming
the rule that fired, and the decision over them is made in provenance_signals.py.

`provenance_refresh` gathers everything stored for a change, lets the strongest signal decide, keeps every
signal found as a source, and saves the change's one `AIProvenance` row.
"""

import json
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accountability.catalog.models import Person
from accountability.changes.detection import login_detect
from accountability.changes.models import AIProvenance, Change, ProvenanceHistory, ProvenanceRecord
from accountability.changes.provenance_documents import (
    Attestation,
    LineAttribution,
    ProvenanceParseError,
    _unique,
    agent_trace_parse,
    attestation_parse,
    git_ai_note_parse,
)
from accountability.changes.provenance_signals import (
    PERSON,
    ProvenanceResult,
    Signal,
    commit_message_signals,
    label_signals,
    provenance_compute,
    signal_of,
)
from accountability.changes.registry import Registry, registry_current

Level = AIProvenance.Level
Confidence = AIProvenance.Confidence
SignalSource = AIProvenance.SignalSource


def _record_order(change: Change, shas_in_order: list[str], record: ProvenanceRecord) -> int:
    # The merge sha comes last: a note rewritten onto a squash commit describes the final state.
    if record.commit_sha == change.sha or not record.commit_sha:
        return len(shas_in_order)
    try:
        return shas_in_order.index(record.commit_sha)
    except ValueError:
        return -1


def _line_level_latest_per_file(documents: list[tuple[int, LineAttribution]]) -> list[LineAttribution]:
    """Per file, keep only the documents of the latest commit mentioning it.

    Line numbers in a note refer to the file as of that commit; a later commit touching the file supersedes
    them, while files untouched later keep their earlier attribution.
    """
    latest: dict[str, int] = {}
    for order, document in documents:
        for path in [*document.ai_lines, *document.human_lines]:
            latest[path] = max(latest.get(path, order), order)
    kept = []
    for order, document in documents:
        kept.append(
            LineAttribution(
                source=document.source,
                ai_lines={p: r for p, r in document.ai_lines.items() if latest[p] == order},
                human_lines={p: r for p, r in document.human_lines.items() if latest[p] == order},
                tools=document.tools,
                models=document.models,
                drivers=document.drivers,
            )
        )
    return kept


def _parse_record(record: ProvenanceRecord) -> LineAttribution | Attestation:
    if record.kind == ProvenanceRecord.Kind.GIT_AI_NOTE:
        return git_ai_note_parse(record.content)
    try:
        data = json.loads(record.content)
    except json.JSONDecodeError as error:
        raise ProvenanceParseError(f"{record.kind} is not JSON: {error.msg}") from None
    if record.kind == ProvenanceRecord.Kind.AGENT_TRACE:
        return agent_trace_parse(data)
    return attestation_parse(data)


def _is_agent_commit(commit, registry: Registry) -> bool:
    rule = registry.identity(email=commit.author_email, login=commit.author_login, name=commit.author_name)
    return bool(rule and rule.is_ai)


def provenance_refresh(*, change: Change, registry: Registry | None = None) -> AIProvenance:
    """Recompute and save the AI provenance of `change` from what is stored about it. Idempotent.

    1. Collect the change's commits (rows and `commit_shas`) and the provenance records of those commits
       or of the change itself; parse each (a record that cannot be parsed is skipped, not fatal).
    2. Run every commit through the registry (detection.py), the PR's author through its accounts, and
       labels through the AI markers; each signal keeps the rule that fired and its source.
    3. Decide with `provenance_compute`. An agent-authored PR keeps its human driver (the assignee or
       requester recorded on the change). Save the one AIProvenance row, linking drivers to people; when
       the verdict changed, the previous one goes to ProvenanceHistory.
    """
    registry = registry or registry_current()
    commits = list(change.commits.all())
    shas_in_order = _unique([c.sha for c in commits] + list(change.commit_shas))
    records = ProvenanceRecord.objects.filter(
        Q(change=change) | Q(commit_sha__in=[*shas_in_order, change.sha])
    ).order_by("recorded_at", "id")
    if change.repository:
        records = records.filter(Q(repository="") | Q(repository__iexact=change.repository))

    documents: list[tuple[int, LineAttribution]] = []
    attestations: list[Attestation] = []
    for record in records:
        try:
            parsed = _parse_record(record)
        except ProvenanceParseError:
            continue
        if isinstance(parsed, Attestation):
            attestations.append(parsed)
        else:
            documents.append((_record_order(change, shas_in_order, record), parsed))

    signals: list[Signal] = []
    for commit in commits:
        signals.extend(
            commit_message_signals(
                commit.message,
                author=commit.author_login or commit.author_email,
                author_name=commit.author_name,
                author_email=commit.author_email,
                sha=commit.sha,
                registry=registry,
            )
        )
    agent_authors = []
    for login in change.author_logins:
        detection = login_detect(login=login, registry=registry)
        if detection:
            agent_authors.append(login)
            signals.append(signal_of(detection, drivers=list(change.driver_logins)))
    signals.extend(label_signals(change.labels))

    human_authors = [login for login in change.author_logins if login not in agent_authors]
    agent_only = (
        bool(agent_authors) and not human_authors and all(_is_agent_commit(c, registry) for c in commits)
    )

    result = provenance_compute(
        line_level=_line_level_latest_per_file(documents),
        attestations=attestations,
        signals=signals,
        additions=change.additions,
        agent_only=agent_only,
    )
    if agent_authors:
        # The driver of an agent's PR is who started it, never the agent or its commits' authors.
        result.drivers = _unique([*change.driver_logins, *result.drivers], limit=200)
    return _provenance_save(change=change, result=result, registry_version=registry.version)


def _provenance_save(*, change: Change, result: ProvenanceResult, registry_version: str) -> AIProvenance:
    values = {
        "level": result.level,
        "confidence": result.confidence,
        "ai_share": result.ai_share,
        "tools": result.tools,
        "ai_models": result.models,
        "driver_logins": result.drivers,
        "sources": result.sources,
        "ai_lines": result.ai_lines,
        "detections": result.detections,
        "registry_version": registry_version,
    }
    with transaction.atomic():
        previous = AIProvenance.objects.select_for_update().filter(change=change).first()
        if previous is not None and _verdict(previous) != _verdict_of(values):
            ProvenanceHistory.objects.create(
                change=change,
                level=previous.level,
                confidence=previous.confidence,
                tools=previous.tools,
                ai_models=previous.ai_models,
                driver_logins=previous.driver_logins,
                detections=previous.detections,
                registry_version=previous.registry_version,
                valid_until=timezone.now(),
                replaced_by_version=registry_version,
            )
        provenance, _ = AIProvenance.objects.update_or_create(change=change, defaults=values)
        provenance.drivers.set(_people_for(result.drivers))
    return provenance


def _verdict(provenance: AIProvenance) -> tuple:
    return _verdict_of(
        {
            "level": provenance.level,
            "ai_share": provenance.ai_share,
            "tools": provenance.tools,
            "ai_models": provenance.ai_models,
            "driver_logins": provenance.driver_logins,
        }
    )


def _verdict_of(values: dict) -> tuple:
    """What a reader of the change page would call the verdict; a new registry version alone is not one."""
    share = values["ai_share"]
    return (
        values["level"],
        None if share is None else Decimal(share).quantize(Decimal("0.0001")),
        tuple(values["tools"]),
        tuple(values["ai_models"]),
        tuple(values["driver_logins"]),
    )


def _people_for(drivers: list[str]) -> list[Person]:
    """People named by a driver string: a GitHub login, an e-mail, or "Name <email>"."""
    emails, logins = set(), set()
    for driver in drivers:
        person = PERSON.match(driver)
        address = person.group("email") if person else driver
        if "@" in address:
            emails.add(address.strip().lower())
        else:
            logins.add(driver.strip().lower())
    if not emails and not logins:
        return []
    return list(
        Person.objects.annotate(email_lower=Lower("email"), login_lower=Lower("github_login")).filter(
            Q(email_lower__in=emails) | Q(login_lower__in=logins)
        )
    )
