"""CDEvents over HTTP (spec v0.3 to v0.5): deployments, incidents, merged changes, test and build evidence.

verify → parse → map → upsert. Accepted encodings: a CDEvent posted as JSON; a CloudEvent in structured mode
(`application/cloudevents+json`, the CDEvent in `data` or `data_base64`); a CloudEvent in binary mode (`ce-*`
headers, the CDEvent as body). Authentication: `Authorization: Bearer <source secret>`, or
`X-Signature-256: sha256=<HMAC-SHA256 of the body under the secret>`, or a Standard Webhooks signature
(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC of "id.timestamp.body">`), the one
scheme that signs a time: it is refused outside INGEST_SIGNATURE_TOLERANCE_SECONDS of now, so a captured
delivery cannot be replayed later. (GitHub and PagerDuty sign no time: a replay of theirs is a duplicate of
its delivery id and changes nothing.)

Delivery id: context source, id and type together — the conformance examples reuse one id across types.

- service.deployed / upgraded → Deployment (succeeded) of the artifact's change, with its purl;
- service.rolledback → the service's previous deployment in that environment is marked rolled back; outside
  production also a rollback_rehearsal evidence and the rollback plan's last rehearsal;
- incident.detected / reported / resolved → Incident (service, environment, artifact) and its timeline;
- change.merged → Change of the repository's service;
- testsuiterun.finished / pipelinerun.finished → Evidence ci_tests, for the change named in customData;
- artifact.signed → Evidence build_provenance on the artifact's change.

Which change an artifact is: `customData.sha` when given, else the purl's version (a commit sha for source
packages, an image digest for OCI images); a change not known yet is created under that key, so deploy and
signature events agree whatever their order. Ignored: service.removed/published, change.created/reviewed,
artifact.published, taskrun.*, and test or pipeline runs that name no change (`customData` must carry
`sha` and `repository`, or `artifactId`).
"""

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from django.conf import settings

from accountability.catalog.models import Service
from accountability.changes.models import Change, Deployment, Environment, Evidence, RollbackPlan
from accountability.changes.provenance import provenance_refresh
from accountability.followups import analysis_schedule_for_deployment, analysis_schedule_for_incident
from accountability.incidents.models import Incident, IncidentEvent
from accountability.ingest.adapters.payload import (
    get,
    hmac_sha256_hex,
    json_object,
    link,
    require_secret,
    text,
)
from accountability.ingest.errors import DeliveryIgnored, PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source
from accountability.ingest.upserts import (
    change_by_sha,
    environment_name,
    lock,
    service_by_name,
    service_for_repository,
    timestamp,
)

PROVIDER = "cdevents"
_TYPE = re.compile(
    r"^dev\.cdevents\.(?P<subject>[a-z]+)\.(?P<predicate>[a-z]+)\.(?P<version>\d+\.\d+\.\d+.*)$"
)
_HEX = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True)
class CDEvent:
    id: str
    source: str
    type: str
    name: str  # "service.deployed"
    timestamp: datetime
    subject: dict
    custom_data: dict

    @property
    def content(self) -> dict:
        content = self.subject.get("content")
        return content if isinstance(content, dict) else {}

    @property
    def key(self) -> str:
        key = f"{self.source}|{self.id}|{self.name}"
        return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    secret = require_secret(source)
    if "webhook-signature" in headers:
        _verify_standard_webhooks(secret=secret, headers=headers, body=body)
        return
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        if hmac.compare_digest(authorization[7:].strip().encode(), secret.encode()):
            return
        raise SignatureError("the bearer token is not this source's")
    signature = headers.get("x-signature-256", "")
    if not signature.startswith("sha256="):
        raise SignatureError("neither Authorization: Bearer nor X-Signature-256 is present")
    if not hmac.compare_digest(signature.removeprefix("sha256="), hmac_sha256_hex(secret, body)):
        raise SignatureError("X-Signature-256 does not match the body")


def _verify_standard_webhooks(*, secret: str, headers: dict, body: bytes) -> None:
    """Standard Webhooks (standardwebhooks.com): several `v1,` signatures may be listed while a secret is
    rotated; a `whsec_` secret is the base64 of the key, any other secret is used as it is."""
    message_id, sent_at = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    try:
        key = (
            base64.b64decode(secret.removeprefix("whsec_"))
            if secret.startswith("whsec_")
            else secret.encode()
        )
    except ValueError:
        raise SignatureError("this source's whsec_ secret is not base64") from None
    digest = hmac.new(key, f"{message_id}.{sent_at}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    listed = [
        part.removeprefix("v1,") for part in headers["webhook-signature"].split() if part.startswith("v1,")
    ]
    if not message_id or not any([hmac.compare_digest(given, expected) for given in listed]):
        raise SignatureError("webhook-signature matches none of the v1 signatures of id.timestamp.body")
    try:
        age = time.time() - int(sent_at)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix time in seconds") from None
    tolerance = settings.INGEST_SIGNATURE_TOLERANCE_SECONDS
    if abs(age) > tolerance:
        raise SignatureError(
            f"webhook-timestamp is {abs(age):.0f} s in the {'past' if age > 0 else 'future'}, outside the "
            f"allowed {tolerance} s: a replayed or delayed delivery is refused"
        )


def parse(*, body: bytes, headers: dict) -> CDEvent:
    document = json_object(body)
    if "specversion" in document and "context" not in document:
        # CloudEvents structured mode: the CDEvent is the event's data.
        if "data_base64" in document:
            try:
                document = json_object(base64.b64decode(get(document, "data_base64"), validate=True))
            except ValueError:
                raise PayloadError("data_base64 is not base64") from None
        else:
            document = get(document, "data", dict)
    context = get(document, "context", dict)
    event_type = get(context, "type")
    match = _TYPE.match(event_type)
    if match is None:
        raise PayloadError(f"context.type {event_type!r} is not dev.cdevents.<subject>.<predicate>.<version>")
    custom_data = document.get("customData")
    return CDEvent(
        id=get(context, "id")[:200],
        source=text(context, "source", limit=200),
        type=event_type[:200],
        name=f"{match['subject']}.{match['predicate']}",
        timestamp=timestamp(get(context, "timestamp"), field="context.timestamp"),
        subject=get(document, "subject", dict),
        custom_data=custom_data if isinstance(custom_data, dict) else {},
    )


def identify(*, payload: CDEvent, headers: dict, body: bytes) -> tuple[str, str]:
    return payload.key, payload.type


def delivery_apply(*, delivery: Delivery, payload: CDEvent) -> str:
    handler = HANDLERS.get(payload.name)
    if handler is None:
        raise DeliveryIgnored(f"CDEvents {payload.name} is not used")
    return handler(payload)


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


HANDLERS: dict[str, Callable[[CDEvent], str]] = {
    "service.deployed": service_deployed,
    "service.upgraded": service_deployed,
    "service.rolledback": service_rolledback,
    "incident.detected": incident,
    "incident.reported": incident,
    "incident.resolved": incident,
    "change.merged": change_merged,
    "testsuiterun.finished": run_finished,
    "pipelinerun.finished": run_finished,
    "artifact.signed": artifact_signed,
}
