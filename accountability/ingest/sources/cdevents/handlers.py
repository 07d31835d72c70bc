"""What each CDEvent writes (the list in cdevents/__init__.py's docstring)."""

import hashlib
import re
from urllib.parse import unquote

from accountability.catalog.models import Service
from accountability.changes.identity import change_by_sha
from accountability.changes.models import Change, Deployment, Environment, Evidence, RollbackPlan
from accountability.changes.provenance import provenance_refresh
from accountability.followups import analysis_schedule_for_deployment, analysis_schedule_for_incident
from accountability.incidents.models import Incident, IncidentEvent
from accountability.ingest.errors import DeliveryIgnored, PayloadError
from accountability.ingest.models import Delivery
from accountability.ingest.payload import (
    get,
    link,
    text,
)
from accountability.ingest.sources.cdevents.webhook import PROVIDER, CDEvent
from accountability.ingest.upserts import environment_name, lock, service_by_name, service_for_repository

_HEX = re.compile(r"^[0-9a-f]{7,64}$")


def purl_name_version(purl: str) -> tuple[str, str]:
    """("myapp", "sha256:0b31…") of "pkg:oci/myapp@sha256%3A0b31…?repository_url=…"."""
    if not purl.startswith("pkg:"):
        raise PayloadError(f"artifactId {purl!r} is not a purl")
    path, _, version = purl.split("#", 1)[0].split("?", 1)[0].partition("@")
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]), unquote(version)


def _change_key(version: str) -> str:
    """A Change sha for an artifact version: the commit when it is one, else a stable ≤64-char key."""
    version = version.lower().removeprefix("sha256:")
    if len(version) <= 64:
        return version
    return hashlib.sha256(version.encode()).hexdigest()


def _service_for(event: CDEvent, *names: str) -> Service:
    service = service_by_name(*names)
    if service is None:
        known = ", ".join(repr(n) for n in names if n) or "no service"
        raise DeliveryIgnored(f"no service is named {known}")
    return service


def _artifact_change(event: CDEvent, *, service: Service, purl: str) -> Change:
    sha = text(event.custom_data, "sha", limit=64)
    version = sha or purl_name_version(purl)[1]
    if not version:
        raise PayloadError(f"artifactId {purl!r} has no version, so it names no change")
    key = _change_key(version)
    if _HEX.match(key):
        # A short commit sha in a purl version finds the change stored under its full sha.
        known = Change.objects.filter(service=service, sha__startswith=key).order_by("id").first()
        if known is not None:
            return known
    return change_by_sha(
        service=service,
        repository=text(event.custom_data, "repository", limit=200),
        sha=key,
        defaults={"title": f"artifact {purl}"[:500]},
    )


def service_deployed(event: CDEvent) -> str:
    _deployment_record(event, restores=False)
    return Delivery.Status.PROCESSED


def _deployment_record(event: CDEvent, *, restores: bool) -> Deployment:
    content = event.content
    purl = get(content, "artifactId")
    service = _service_for(event, text(event.subject, "id"), purl_name_version(purl)[0])
    lock(f"cdevents:{service.pk}")
    change = _artifact_change(event, service=service, purl=purl)
    deployment, _ = Deployment.objects.update_or_create(
        provider=PROVIDER,
        external_id=event.key,
        defaults={
            "change": change,
            "environment": environment_name(get(content, "environment.id")),
            "status": Deployment.Status.SUCCEEDED,
            "started_at": event.timestamp,
            "finished_at": event.timestamp,
            "artifact_id": purl[:500],
            "url": link(event.custom_data, "url"),
            "restores": restores,
        },
    )
    analysis_schedule_for_deployment(
        environment=deployment.environment,
        started_at=deployment.started_at,
        finished_at=deployment.finished_at,
        active=False,
    )
    return deployment


def service_rolledback(event: CDEvent) -> str:
    """The service runs `artifactId` again: the deployment before this event, of another artifact, was
    rolled back at the event's time. The restore is recorded as a deployment that `restores` an earlier
    version, which suspect ranking does not take for a new change running (issue 15). Outside production
    a rollback is also a rehearsal of the rolled-back change's rollback."""
    _deployment_record(event, restores=True)
    content = event.content
    purl = get(content, "artifactId")
    environment = environment_name(get(content, "environment.id"))
    service = _service_for(event, text(event.subject, "id"), purl_name_version(purl)[0])
    previous = (
        Deployment.objects.filter(
            change__service=service,
            environment=environment,
            finished_at__lt=event.timestamp,
            status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
        )
        .exclude(artifact_id=purl)
        .order_by("-finished_at", "-id")
        .first()
    )
    if previous is None:
        return Delivery.Status.PROCESSED
    previous.status = Deployment.Status.ROLLED_BACK
    # The earliest rollback that undid it is when it stopped running.
    if previous.rolled_back_at is None or event.timestamp < previous.rolled_back_at:
        previous.rolled_back_at = event.timestamp
    previous.save(update_fields=["status", "rolled_back_at"])
    analysis_schedule_for_deployment(
        environment=environment,
        started_at=previous.started_at,
        finished_at=previous.finished_at,
        active=False,
    )
    if environment != Environment.PRODUCTION:
        Evidence.objects.update_or_create(
            change=previous.change,
            kind=Evidence.Kind.ROLLBACK_REHEARSAL,
            source=PROVIDER,
            external_id=event.key,
            defaults={
                "result": Evidence.Result.PASSED,
                "detail": f"rolled back to {purl} in {environment}"[:2000],
                "at": event.timestamp,
            },
        )
        plans = RollbackPlan.objects.filter(change=previous.change) | RollbackPlan.objects.filter(
            service=service
        )
        for plan in plans:
            if plan.last_rehearsed_at is None or plan.last_rehearsed_at < event.timestamp:
                plan.last_rehearsed_at = event.timestamp
                plan.save(update_fields=["last_rehearsed_at"])
    return Delivery.Status.PROCESSED


_INCIDENT_OPENING = ("detected", "reported")
_PHASE = {"detected": 0, "reported": 1, "resolved": 2}


def incident(event: CDEvent) -> str:
    """Adds the event to the incident's timeline, then derives the incident from the whole timeline:
    title and start from the earliest detected/reported event, status from the latest one."""
    content = event.content
    external_id = get(event.subject, "id")
    lock(f"cdevents-incident:{external_id}")
    predicate = event.name.removeprefix("incident.")
    description = text(content, "description", limit=10_000)
    row, _ = Incident.objects.get_or_create(
        source=PROVIDER,
        external_id=external_id[:200],
        defaults={"title": (description or f"Incident {external_id}")[:500], "started_at": event.timestamp},
    )
    IncidentEvent.objects.update_or_create(
        incident=row,
        external_id=event.key,
        defaults={"at": event.timestamp, "kind": predicate, "summary": description, "actor": event.source},
    )
    # Events at the same instant (the conformance examples share one timestamp) follow the lifecycle.
    timeline = sorted(row.timeline.all(), key=lambda e: (e.at, _PHASE.get(e.kind, 1)))
    opening = next((e for e in timeline if e.kind in _INCIDENT_OPENING), timeline[0])
    latest = timeline[-1]
    row.title = (opening.summary or row.title)[:500]
    row.started_at = opening.at
    row.status = Incident.Status.RESOLVED if latest.kind == "resolved" else Incident.Status.TRIGGERED
    row.resolved_at = latest.at if latest.kind == "resolved" else None
    if predicate in _INCIDENT_OPENING or not row.artifact_id:
        row.environment = environment_name(text(content, "environment.id"))
        row.artifact_id = text(content, "artifactId")
        row.url = link(content, "ticketURI") or row.url
    row.save()
    service = service_by_name(text(content, "service.id"))
    if service is not None:
        row.services.add(service)
    analysis_schedule_for_incident(row.id)
    return Delivery.Status.PROCESSED


def change_merged(event: CDEvent) -> str:
    content = event.content
    repository = get(content, "repository.id")
    service = service_by_name(text(content, "repository.name")) or service_for_repository(repository)
    lock(f"cdevents:{service.pk}")
    change_id = get(event.subject, "id")
    change = change_by_sha(
        service=service,
        repository=repository[:200],
        sha=_change_key(text(event.custom_data, "sha", limit=64) or change_id),
        defaults={"title": text(content, "description") or f"change {change_id}"},
    )
    if change.merged_at is None:
        change.merged_at = event.timestamp
        change.save(update_fields=["merged_at", "updated_at"])
    provenance_refresh(change=change)
    return Delivery.Status.PROCESSED


_RUN_RESULTS = {
    "success": Evidence.Result.PASSED,
    "failure": Evidence.Result.FAILED,
    "error": Evidence.Result.FAILED,
}


def run_finished(event: CDEvent) -> str:
    content = event.content
    outcome = get(content, "outcome")
    result = _RUN_RESULTS.get(outcome)
    if result is None:
        raise DeliveryIgnored(f"{event.name} outcome {outcome!r} is no test result")
    data = event.custom_data
    if text(data, "artifactId"):
        purl = text(data, "artifactId")
        service = _service_for(event, text(data, "service"), purl_name_version(purl)[0])
        change = _artifact_change(event, service=service, purl=purl)
    elif text(data, "sha") and text(data, "repository"):
        service = service_for_repository(text(data, "repository"))
        change = change_by_sha(
            service=service, repository=text(data, "repository"), sha=text(data, "sha", limit=64)
        )
    else:
        raise DeliveryIgnored(
            f"{event.name} names no change: send customData with sha and repository, or artifactId"
        )
    name = text(content, "testSuite.name") or text(content, "pipelineName") or event.name
    Evidence.objects.update_or_create(
        change=change,
        kind=Evidence.Kind.CI_TESTS,
        source=PROVIDER,
        external_id=event.key,
        defaults={
            "result": result,
            "url": link(content, "uri") or link(content, "testSuite.uri"),
            "sha": change.sha,
            "detail": f"{name}: {outcome} {text(content, 'reason') or text(content, 'errors')}".strip()[
                :2000
            ],
            "at": event.timestamp,
        },
    )
    return Delivery.Status.PROCESSED


def artifact_signed(event: CDEvent) -> str:
    purl = get(event.subject, "id")
    service = _service_for(event, text(event.custom_data, "service"), purl_name_version(purl)[0])
    lock(f"cdevents:{service.pk}")
    change = _artifact_change(event, service=service, purl=purl)
    Evidence.objects.update_or_create(
        change=change,
        kind=Evidence.Kind.BUILD_PROVENANCE,
        source=PROVIDER,
        external_id=event.key,
        defaults={
            "result": Evidence.Result.PASSED,
            "detail": f"{purl} signed"[:2000],
            "url": link(event.custom_data, "url"),
            "at": event.timestamp,
        },
    )
    return Delivery.Status.PROCESSED
