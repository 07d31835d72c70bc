"""CDEvents over HTTP (spec v0.3 to v0.5): deployments, incidents, merged changes, test and build evidence.

The contract of every source (ingest/sources/__init__.py): webhook.py verifies and parses, handlers.py
applies. Accepted encodings: a CDEvent posted as JSON; a CloudEvent in structured mode
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

from collections.abc import Callable

from accountability.ingest.errors import DeliveryIgnored
from accountability.ingest.models import Delivery
from accountability.ingest.sources.cdevents.handlers import (
    artifact_signed,
    change_merged,
    incident,
    run_finished,
    service_deployed,
    service_rolledback,
)
from accountability.ingest.sources.cdevents.webhook import CDEvent, identify, parse, verify

__all__ = ["HANDLERS", "RECEIVES_WEBHOOKS", "apply", "identify", "parse", "pull", "verify"]

RECEIVES_WEBHOOKS = True
pull = None  # CDEvents are pushed only

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


def apply(*, delivery: Delivery, payload: CDEvent) -> str:
    handler = HANDLERS.get(payload.name)
    if handler is None:
        raise DeliveryIgnored(f"CDEvents {payload.name} is not used")
    return handler(payload)
