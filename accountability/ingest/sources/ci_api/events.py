"""What a CI intake delivery is: the headers the API face sets, the event types and their bodies."""

from pydantic import ValidationError

from accountability.ingest.models import Source
from accountability.ingest.schemas import (
    ChangeIn,
    EvidenceAttachIn,
    ProvenanceRecordsIn,
    RollbackRehearsalIn,
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


def validation_errors(error: ValidationError, *, prefix: str = "body") -> list[dict]:
    """Pydantic errors as [{"field": "body.evidence.0.kind", "message": ...}]."""
    return [
        {"field": ".".join([prefix, *(str(part) for part in item["loc"])]), "message": item["msg"]}
        for item in error.errors()
    ]
