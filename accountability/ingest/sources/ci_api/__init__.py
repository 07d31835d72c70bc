"""CI intake API deliveries: a change registration, evidence attached later, a rollback rehearsal, provenance.

The API (accountability/api/intake.py) authenticates the token and validates the body, then stores it as a
Delivery of the `api` source; this package, with the contract of every source (ingest/sources/__init__.py),
re-reads it with the same schemas and applies it: changes.py registers, evidence.py and provenance.py keep
what CI attaches. Every write is an upsert on a natural key, so a replayed delivery changes nothing.
"""

from collections.abc import Callable

from pydantic import ValidationError

from accountability.changes.identity import change_find
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source
from accountability.ingest.payload import body_digest
from accountability.ingest.schemas import EvidenceAttachIn, RollbackRehearsalIn
from accountability.ingest.sources.ci_api.changes import change_register, change_registered
from accountability.ingest.sources.ci_api.events import (
    ATTEST_HEADER,
    CHANGE_REGISTERED,
    EVENT_HEADER,
    EVIDENCE_ATTACHED,
    PROVENANCE_RECORDED,
    ROLLBACK_REHEARSED,
    SCHEMAS,
    SERVICE_HEADER,
    SHA_HEADER,
    SOURCE_NAME,
    TARGETED,
    TOKEN_HEADER,
    intake_source,
    validation_errors,
)
from accountability.ingest.sources.ci_api.evidence import evidence_upsert, rollback_rehearsal_record
from accountability.ingest.sources.ci_api.provenance import changes_with_commits, provenance_records_store

# What the API face (api/intake.py) reads from here, besides the contract.
__all__ = [
    "ATTEST_HEADER",
    "CHANGE_REGISTERED",
    "EVENT_HEADER",
    "EVIDENCE_ATTACHED",
    "HANDLERS",
    "PROVENANCE_RECORDED",
    "RECEIVES_WEBHOOKS",
    "ROLLBACK_REHEARSED",
    "SERVICE_HEADER",
    "SHA_HEADER",
    "SOURCE_NAME",
    "TOKEN_HEADER",
    "apply",
    "change_find",
    "changes_with_commits",
    "identify",
    "intake_source",
    "parse",
    "pull",
    "validation_errors",
    "verify",
]

RECEIVES_WEBHOOKS = False
pull = None  # CI calls the API; nothing is pulled


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    # Nothing reaches this source through a webhook receiver: the API authenticates its bearer tokens itself.
    raise SignatureError("the CI API accepts deliveries only at /api/v1/, with a token")


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


def identify(*, payload, headers: dict, body: bytes) -> tuple[str, str]:
    # The API face names its deliveries itself (api/intake.py: the token and the idempotency key).
    return body_digest(body), headers.get(EVENT_HEADER, "")[:200]


def _evidence_attached(*, delivery: Delivery, payload: EvidenceAttachIn) -> None:
    headers = delivery.headers
    change = change_registered(service=headers[SERVICE_HEADER], sha=headers[SHA_HEADER])
    attested = headers.get(ATTEST_HEADER) == "1"
    for item in payload.evidence:
        evidence_upsert(
            change=change,
            item=item,
            received_at=delivery.received_at,
            attested=attested,
            sha=headers[SHA_HEADER],
        )


def _rollback_rehearsed(*, delivery: Delivery, payload: RollbackRehearsalIn) -> None:
    headers = delivery.headers
    change = change_registered(service=headers[SERVICE_HEADER], sha=headers[SHA_HEADER])
    rollback_rehearsal_record(change=change, payload=payload, received_at=delivery.received_at)


HANDLERS: dict[str, Callable[..., object]] = {
    CHANGE_REGISTERED: change_register,
    EVIDENCE_ATTACHED: _evidence_attached,
    ROLLBACK_REHEARSED: _rollback_rehearsed,
    PROVENANCE_RECORDED: provenance_records_store,
}


def apply(*, delivery: Delivery, payload) -> str:
    # parse() chose the payload's schema by the same header, so every parsed delivery has its handler.
    HANDLERS[delivery.headers[EVENT_HEADER]](delivery=delivery, payload=payload)
    return Delivery.Status.PROCESSED
