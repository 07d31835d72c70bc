"""Suspect changes for an incident (DESIGN §12): which change most likely caused it, and why."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accountability.analysis.bulk import update_copy
from accountability.analysis.graph import DependencyGraph, graph_get
from accountability.changes.models import Deployment
from accountability.changes.touched import CONFIG, INFRASTRUCTURE, RUNTIME, SCHEMA, touched_only_inert
from accountability.incidents.models import Incident, SuspectChange

HALF_LIFE_HOURS = 2.0
PROXIMITY_POINTS = 40.0
DISTANCE_POINTS = 30.0
ARTIFACT_POINTS = 30.0
MENTION_POINTS = 25.0
RISK_POINTS = 10.0
ROLLED_BACK_DURING_POINTS = 15.0
ROLLED_BACK_BEFORE_PENALTY = 20.0
# What the change is (issue 15): worth as much as an hour or a hop, so a strong reason beats a few minutes.
NATURE_POINTS = {SCHEMA: 15.0, INFRASTRUCTURE: 12.0, CONFIG: 10.0, RUNTIME: 6.0}
IRREVERSIBLE_POINTS = 8.0
UNREHEARSED_POINTS = 4.0
AI_POINTS = {"generated": 6.0, "majority": 6.0, "assisted": 3.0}
AI_UNVERIFIED_POINTS = 4.0
# A change that touched only docs and tests keeps this share of its score: it cannot break what runs, but
# a path classification can be wrong, so it is ranked low rather than dropped.
INERT_SHARE = 0.2
REHEARSAL_MAX_AGE = timedelta(days=90)
ACTIVE_STATUSES = (Deployment.Status.QUEUED, Deployment.Status.IN_PROGRESS)
# A deployment still running at the incident's start counts if it finished within this time after it.
RUNNING_AT_START_LIMIT = timedelta(days=7)
# "Suspected cause: payments-api@1a2b3c4" in a responder's note names a change.
MENTION = re.compile(r"([a-z0-9][a-z0-9-]*)@([0-9a-f]{7,40})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One deployment of a change, as the scorer sees it (pure data: the property tests build these)."""

    change_id: int
    service_slug: str
    sha: str
    hops: int
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    artifact_id: str = ""
    risk_score: int | None = None
    touched: tuple[str, ...] = ()
    migration: bool = False
    data_reversible: bool | None = None  # None: no rollback plan
    rehearsed: bool = False
    ai_level: str = "unknown"
    ai_unverified: bool = False  # the risk assessment found it AI-written without matching review/evidence
    rolled_back_at: datetime | None = None


@dataclass(slots=True)
class Suspect:
    change_id: int
    score: float
    reasons: list[dict] = field(default_factory=list)
    deployed_at: datetime | None = None


def _reason(code: str, points: float, sentence: str) -> dict:
    return {"code": code, "points": round(points, 2), "sentence": sentence}


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h"


def suspect_score(
    *,
    candidate: Candidate,
    incident_started_at: datetime,
    incident_artifact_id: str = "",
    mentions: frozenset[tuple[str, str]] = frozenset(),
) -> Suspect:
    """Scores one candidate deployment; each reason carries its points.

    1. Time proximity: 40 points halved every 2 h between the deployment and the incident's start.
       The deployment time is when it finished, or when it started if it was still running at the
       start. A deployment that began after the incident started gets no proximity points.
    2. Graph distance: 30 points on an affected service, halved per hop upstream.
    3. Artifact match: 30 points when the incident names the deployed artifact (CDEvents artifactId).
    4. A responder's timeline note naming service@sha: 25 points.
    5. The change's own risk: up to 10 points (risk score / 10).
    6. What it is (`_nature_reasons`): what its paths touched (schema 15, infrastructure 12, config 10,
       runtime code 6), an irreversible data change (8), a rollback never rehearsed (4), AI-written (up
       to 6) without matching verification (4).
    7. Rolled back after the start: +15 (someone reacted to it); before the start: minus up to 20,
       never more than its proximity points (it had stopped running, but must not fall below an
       identical change deployed after the start). Either way it is marked as already undone.
    8. A change known to touch only docs and tests keeps a fifth of its score, and says why.
    """
    reasons = []
    deployed_at = None
    if candidate.finished_at is not None and candidate.finished_at <= incident_started_at:
        deployed_at = candidate.finished_at
    elif candidate.started_at is not None and candidate.started_at <= incident_started_at:
        deployed_at = candidate.started_at
    if deployed_at is not None:
        before = incident_started_at - deployed_at
        points = PROXIMITY_POINTS * 0.5 ** (before.total_seconds() / 3600 / HALF_LIFE_HOURS)
        reasons.append(
            _reason("TIME_PROXIMITY", points, f"Deployed {_hours(before)} before the incident started.")
        )
    else:
        reasons.append(_reason("DEPLOYED_AFTER_START", 0, "Deployed after the incident started."))
    points = DISTANCE_POINTS * 0.5**candidate.hops
    where = "on an affected service" if candidate.hops == 0 else f"{candidate.hops} hop(s) upstream of it"
    reasons.append(_reason("GRAPH_DISTANCE", points, f"Changed {candidate.service_slug}, {where}."))
    if incident_artifact_id and candidate.artifact_id == incident_artifact_id:
        reasons.append(
            _reason("ARTIFACT_MATCH", ARTIFACT_POINTS, "The incident names the artifact it deployed.")
        )
    if any(slug == candidate.service_slug and candidate.sha.startswith(sha) for slug, sha in mentions):
        reasons.append(_reason("NAMED_IN_TIMELINE", MENTION_POINTS, "A responder's note names this change."))
    if candidate.risk_score:
        reasons.append(
            _reason(
                "CHANGE_RISK", RISK_POINTS * candidate.risk_score / 100, f"Risk score {candidate.risk_score}."
            )
        )
    reasons.extend(_nature_reasons(candidate))
    if candidate.status == Deployment.Status.ROLLED_BACK:
        when = f" at {candidate.rolled_back_at:%H:%M} UTC" if candidate.rolled_back_at else ""
        reasons.append(_reason("ALREADY_UNDONE", 0, f"Already rolled back{when}: it is no longer running."))
    undone_at = candidate.rolled_back_at or candidate.finished_at
    if candidate.status == Deployment.Status.ROLLED_BACK and deployed_at is not None:
        if undone_at is not None and undone_at > incident_started_at:
            reasons.append(
                _reason(
                    "ROLLED_BACK_DURING", ROLLED_BACK_DURING_POINTS, "Rolled back after the incident started."
                )
            )
        else:
            # It had stopped running: take back (at most) what its timing earned, never more, so it
            # still ranks above an identical change deployed after the incident began.
            penalty = -min(ROLLED_BACK_BEFORE_PENALTY, reasons[0]["points"])
            reasons.append(_reason("ROLLED_BACK_BEFORE", penalty, "Already rolled back before it started."))
    subtotal = sum(reason["points"] for reason in reasons)
    if touched_only_inert(candidate.touched):
        reasons.append(
            _reason(
                "NO_RUNTIME_CHANGE",
                -(1 - INERT_SHARE) * max(0.0, subtotal),
                "It touched only docs and tests: an unlikely cause.",
            )
        )
    score = max(0.0, sum(reason["points"] for reason in reasons))
    return Suspect(
        change_id=candidate.change_id, score=round(score, 2), reasons=reasons, deployed_at=deployed_at
    )


def _nature_reasons(candidate: Candidate) -> list[dict]:
    reasons = []
    kinds = set(candidate.touched) | ({SCHEMA} if candidate.migration else set())
    weighed = [kind for kind in NATURE_POINTS if kind in kinds]  # strongest first
    if weighed:
        names = {SCHEMA: "a schema migration", INFRASTRUCTURE: "infrastructure", CONFIG: "configuration"}
        sentence = f"It changed {', '.join(names.get(kind, 'runtime code') for kind in weighed)}."
        reasons.append(_reason("CHANGE_NATURE", NATURE_POINTS[weighed[0]], sentence))
    elif not kinds:
        # Unknown is not harmless: weighed as runtime code, so knowing the paths never raises a score.
        sentence = "What it touched is unknown (no paths): taken as runtime code."
        reasons.append(_reason("CHANGE_NATURE", NATURE_POINTS[RUNTIME], sentence))
        kinds = {RUNTIME}
    if SCHEMA in kinds and not candidate.data_reversible:
        reasons.append(
            _reason("IRREVERSIBLE_DATA_CHANGE", IRREVERSIBLE_POINTS, "Its data change cannot be undone.")
        )
    if kinds - {"docs", "tests"} and not candidate.rehearsed:
        reasons.append(
            _reason("ROLLBACK_NOT_REHEARSED", UNREHEARSED_POINTS, "Its rollback was never rehearsed.")
        )
    if candidate.ai_level in AI_POINTS:
        reasons.append(
            _reason("AI_WRITTEN", AI_POINTS[candidate.ai_level], f"AI level {candidate.ai_level}.")
        )
        if candidate.ai_unverified:
            reasons.append(
                _reason(
                    "AI_UNVERIFIED",
                    AI_UNVERIFIED_POINTS,
                    "AI-written without a human review or evidence to match.",
                )
            )
    return reasons


def suspects_rank(*, suspects: list[Suspect]) -> list[Suspect]:
    """Highest score first; ties go to the later deployment before the incident, then the lower id."""
    return sorted(
        suspects,
        key=lambda s: (
            -s.score,
            -(s.deployed_at.timestamp() if s.deployed_at else float("-inf")),
            s.change_id,
        ),
    )


def suspect_candidates(*, incident: Incident, graph: DependencyGraph) -> list[Candidate]:
    """Deployments that could have caused the incident: to its environment, on an affected service
    or one it depends on (up to ANALYSIS_SUSPECT_MAX_HOPS), finished in the window before the start,
    running at the start (and finished within a week of it), or still running now."""
    affected = list(incident.services.values_list("id", flat=True))
    hops_by_service = graph.dependencies_within(service_ids=affected, hops=settings.ANALYSIS_SUSPECT_MAX_HOPS)
    if not hops_by_service:
        return []
    start = incident.started_at
    window = timedelta(hours=settings.ANALYSIS_SUSPECT_WINDOW_HOURS)
    # Every branch is a range on (environment, finished_at), which is indexed: the time window is
    # narrow while the services within 3 hops can be a thousand, so time drives and the service
    # filter is applied to the few hundred rows it returns.
    in_window = Deployment.objects.filter(environment=incident.environment).filter(
        Q(finished_at__gte=start - window, finished_at__lte=start)
        | Q(finished_at__gt=start, finished_at__lte=start + RUNNING_AT_START_LIMIT, started_at__lte=start)
        | Q(finished_at__isnull=True, status__in=ACTIVE_STATUSES)
    )
    ids = [
        deployment_id
        for deployment_id, service_id in in_window.order_by().values_list("id", "change__service_id")
        if service_id in hops_by_service
    ]
    # A rollback's redeploy of an earlier version is not a suspect by itself: the version ran before.
    deployments = (
        Deployment.objects.filter(id__in=ids, restores=False)
        .select_related(
            "change__service__default_rollback_plan",
            "change__risk",
            "change__provenance",
            "change__rollback_plan",
        )
        .order_by("id")
    )
    return [
        _candidate(deployment, hops=hops_by_service[deployment.change.service_id], now=start)
        for deployment in deployments
    ]


def _candidate(deployment: Deployment, *, hops: int, now: datetime) -> Candidate:
    change = deployment.change
    risk = getattr(change, "risk", None)
    plan = getattr(change, "rollback_plan", None) or getattr(change.service, "default_rollback_plan", None)
    provenance = getattr(change, "provenance", None)
    risk_codes = {factor.get("code") for factor in (risk.factors if risk else [])}
    return Candidate(
        change_id=change.id,
        service_slug=change.service.slug,
        sha=change.sha,
        hops=hops,
        started_at=deployment.started_at,
        finished_at=deployment.finished_at,
        status=deployment.status,
        artifact_id=deployment.artifact_id,
        risk_score=risk.score if risk else None,
        touched=tuple(change.touched),
        migration=change.touches_schema_migration,
        data_reversible=plan.data_reversible if plan else None,
        rehearsed=bool(plan and plan.last_rehearsed_at and plan.last_rehearsed_at >= now - REHEARSAL_MAX_AGE),
        ai_level=provenance.level if provenance else "unknown",
        ai_unverified=bool(risk_codes & {"AI_UNREVIEWED", "AI_UNVERIFIED"}),
        rolled_back_at=deployment.rolled_back_at,
    )


def incident_mentions(*, incident: Incident) -> frozenset[tuple[str, str]]:
    notes = incident.timeline.filter(kind="annotated").values_list("summary", flat=True)
    return frozenset((slug.lower(), sha.lower()) for note in notes for slug, sha in MENTION.findall(note))


def suspects_compute(*, incident: Incident) -> list[Suspect]:
    """The ranked suspects of an incident, computed now.

    1. Find the affected services and everything they depend on within 3 hops (in-memory graph).
    2. Load the candidate deployments (one query) and the notes of the incident's timeline.
    3. Score every candidate; a change deployed more than once keeps its best-scoring deployment.
    4. Rank by score.
    """
    mentions = incident_mentions(incident=incident)
    best: dict[int, Suspect] = {}
    for candidate in suspect_candidates(incident=incident, graph=graph_get()):
        suspect = suspect_score(
            candidate=candidate,
            incident_started_at=incident.started_at,
            incident_artifact_id=incident.artifact_id,
            mentions=mentions,
        )
        if candidate.change_id not in best or suspect.score > best[candidate.change_id].score:
            best[candidate.change_id] = suspect
    return suspects_rank(suspects=list(best.values()))


@transaction.atomic
def suspects_refresh(*, incident: Incident) -> list[SuspectChange]:
    """Stores the incident's ranked suspects, keeping every human verdict.

    Only the first ANALYSIS_SUSPECT_STORED_LIMIT are kept: an incident near a busy shared service
    can have hundreds of candidates, and nobody reads past the first few dozen. Rows of changes that
    are no longer among them are removed unless someone gave a verdict on them; a confirmed or
    ruled-out suspect stays, ranked after the current candidates.
    """
    now = timezone.now()
    ranked = suspects_compute(incident=incident)[: settings.ANALYSIS_SUSPECT_STORED_LIMIT]
    existing = {
        row.change_id: row for row in SuspectChange.objects.select_for_update().filter(incident=incident)
    }
    keep, created = [], []
    for rank, suspect in enumerate(ranked, start=1):
        row = existing.pop(suspect.change_id, None)
        if row is None:
            row = SuspectChange(incident=incident, change_id=suspect.change_id)
            created.append(row)
        row.score, row.rank, row.reasons, row.computed_at = suspect.score, rank, suspect.reasons, now
        keep.append(row)
    stale_without_verdict = [row.id for row in existing.values() if row.verdict == SuspectChange.Verdict.NONE]
    SuspectChange.objects.filter(id__in=stale_without_verdict).delete()
    for offset, row in enumerate(
        row for row in existing.values() if row.verdict != SuspectChange.Verdict.NONE
    ):
        row.rank, row.computed_at = len(keep) + offset + 1, now
        keep.append(row)
    updated = [row for row in keep if row.pk is not None]
    # Ranks are rewritten wholesale, so a row may briefly share a rank with another: no constraint
    # on rank, only on (incident, change).
    update_copy(
        table=SuspectChange._meta.db_table,
        columns=["id", "score", "rank", "reasons", "computed_at"],
        rows=((row.id, row.score, row.rank, json.dumps(row.reasons), row.computed_at) for row in updated),
    )
    SuspectChange.objects.bulk_create(created, batch_size=500)
    return keep


def incidents_near_deployment(
    *, environment: str, started_at: datetime | None, finished_at: datetime | None, active: bool
) -> list[int]:
    """The open incidents (newest first, at most 50) in whose suspect window a deployment falls (DESIGN §12):
    those that started while it ran or within the window after it finished; one still running, or with no
    time at all, is a candidate of every open incident of its environment."""
    incidents = Incident.objects.exclude(status=Incident.Status.RESOLVED).filter(environment=environment)
    earliest, latest = started_at or finished_at, finished_at or started_at
    if earliest is not None and not active:
        window = timedelta(hours=settings.ANALYSIS_SUSPECT_WINDOW_HOURS)
        incidents = incidents.filter(started_at__gte=earliest, started_at__lte=latest + window)
    return list(incidents.order_by("-started_at").values_list("id", flat=True)[:50])
