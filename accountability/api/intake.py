"""CI intake: register a change, attach evidence or a rollback rehearsal, record provenance by commit.

Every write from outside goes through ingest (DESIGN §3): a request is authenticated, validated, stored as a
Delivery of the `ci-api` source and committed, then applied at once through the same `delivery_process` a
worker runs, so the pipeline can ask the gate right after registering. If applying cannot happen now (the
database is busy), the answer is 202 and the worker applies the stored delivery shortly.

Idempotency: the delivery's external id comes from the `Idempotency-Key` header when sent, otherwise from
the target and a hash of the body; a retry finds the stored delivery and answers with its outcome
(duplicate: true).
"""

import hashlib
import logging

from django.http import HttpRequest
from ninja import Header, Router, Status

from accountability.api.auth import ScopedTokenAuth, token_writes_for
from accountability.api.errors import ApiError
from accountability.api.models import ApiToken
from accountability.api.outputs import DeliveryOut, ErrorOut, IntakeOut
from accountability.audit.services import audit_record
from accountability.catalog.models import Service
from accountability.ingest.errors import TRANSIENT_ERRORS
from accountability.ingest.models import Delivery
from accountability.ingest.processing import delivery_process
from accountability.ingest.schemas import ChangeIn, EvidenceAttachIn, ProvenanceRecordsIn, RollbackRehearsalIn
from accountability.ingest.services import delivery_store
from accountability.ingest.sources import ci_api as adapter

logger = logging.getLogger(__name__)

router = Router(tags=["intake"])

# 413: a body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE, answered in JSON before validation (api/urls.py);
# a git-ai note may be a megabyte by itself, so a pipeline can meet it.
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422)}


def _external_id(*, event: str, token: ApiToken, key: str | None, target: str, body: bytes) -> str:
    if key:
        if len(key) > 100:
            raise ApiError(
                422,
                "Idempotency-Key is too long",
                [{"field": "header.Idempotency-Key", "message": "at most 100 characters"}],
            )
        return f"{event}:key:{token.pk}:{key}"
    digest = hashlib.sha256(target.encode() + b"\n" + body).hexdigest()
    return f"{event}:{target[:120]}:{digest[:32]}"


def _intake(
    request: HttpRequest,
    *,
    token: ApiToken,
    event: str,
    target: tuple[str, str],
    idempotency_key: str | None,
    commits: tuple[str, list[str]] | None = None,
    lookup: dict | None = None,
) -> Status:
    """Store the request as a delivery, apply it, audit it, and say what happened.

    1. Store (or find, for a retry) the delivery; a reused Idempotency-Key with another body is a 409.
    2. Apply it now through `delivery_process` unless it is already finished; a transient database error
       leaves it pending for the worker (202).
    3. Audit the write with the token's name and the caller's address.

    `target` is the (service, sha) of the change the request is about; `commits`, the (repository, shas) of
    provenance documents, whose changes the answer lists.
    """
    service, sha = target
    body = request.body
    headers = {
        adapter.EVENT_HEADER: event,
        adapter.TOKEN_HEADER: token.name,
        adapter.SERVICE_HEADER: service,
        adapter.SHA_HEADER: sha.lower(),
    }
    if ApiToken.Scope.REVIEWS_ATTEST in token.scopes:
        headers[adapter.ATTEST_HEADER] = "1"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    external_id = _external_id(
        event=event, token=token, key=idempotency_key, target=f"{service}@{sha.lower()}", body=body
    )
    delivery, created = delivery_store(
        source=adapter.intake_source(), external_id=external_id, event_type=event, headers=headers, body=body
    )
    if not created and bytes(delivery.body) != body:
        raise ApiError(409, "this Idempotency-Key was already used for a different request")
    if delivery.status == Delivery.Status.PENDING:
        try:
            delivery_process(delivery_id=delivery.id)
        except TRANSIENT_ERRORS:
            pass  # stored and committed already: the worker applies it (202)
        except Exception:
            # Not the caller's fault and not lost: the delivery stays pending for the worker and the sweep.
            logger.exception("intake delivery %s could not be applied now", delivery.id)
    delivery.refresh_from_db(fields=["status", "error"])

    change = adapter.change_find(service=service, sha=sha, **(lookup or {})) if service else None
    affected = (
        list(
            adapter.changes_with_commits(repository=commits[0], shas=commits[1]).values_list("id", flat=True)
        )
        if commits
        else []
    )
    detail = {"service": service, "sha": sha, "delivery_id": delivery.id, "duplicate": not created}
    if commits:
        detail.update(repository=commits[0], commits=commits[1][:100], changes=affected)
    audit_record(
        actor=None,
        actor_label=f"api:{token.name}",
        action=f"api.{event}",
        obj=change,
        detail=detail,
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    out = IntakeOut(
        delivery_id=delivery.id,
        status=delivery.status,
        duplicate=not created,
        change_id=change.id if change else None,
        ai_level=getattr(getattr(change, "provenance", None), "level", None) if change else None,
        changes=affected,
        error=delivery.error,
    )
    if delivery.status == Delivery.Status.FAILED:
        raise ApiError(422, delivery.error or "the request could not be applied")
    if delivery.status == Delivery.Status.PENDING:
        return Status(202, out)
    return Status(201 if created else 200, out)


def _existing_change(service: str, sha: str) -> None:
    if not Service.objects.filter(slug=service).exists():
        raise ApiError(
            404, f"no service {service!r}", [{"field": "path.service", "message": "unknown service"}]
        )
    if adapter.change_find(service=service, sha=sha) is None:
        raise ApiError(
            404,
            f"no change {sha} of service {service!r}; register it first with POST /api/v1/changes",
            [{"field": "path.sha", "message": "unknown change"}],
        )


@router.post(
    "/changes",
    response={200: IntakeOut, 201: IntakeOut, 202: IntakeOut, **ERRORS},
    summary="Register a change with its provenance, evidence and rollback plan",
    auth=ScopedTokenAuth(ApiToken.Scope.CHANGES_WRITE),
)
def change_register(
    request: HttpRequest,
    payload: ChangeIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    token: ApiToken = request.auth
    token_writes_for(token, service=payload.service)
    if not Service.objects.filter(slug=payload.service).exists():
        raise ApiError(
            422, f"no service {payload.service!r}", [{"field": "body.service", "message": "unknown service"}]
        )
    return _intake(
        request,
        token=token,
        event=adapter.CHANGE_REGISTERED,
        target=(payload.service, payload.sha),
        idempotency_key=idempotency_key,
        lookup={"repository": payload.repository, "pr_number": payload.pr_number},
    )


@router.post(
    "/changes/{service}/{sha}/evidence",
    response={200: IntakeOut, 201: IntakeOut, 202: IntakeOut, **ERRORS},
    summary="Attach evidence (tests, review, canary, …) to a registered change",
    auth=ScopedTokenAuth(ApiToken.Scope.EVIDENCE_WRITE),
)
def evidence_attach(
    request: HttpRequest,
    service: str,
    sha: str,
    payload: EvidenceAttachIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    return _attach(request, service, sha, event=adapter.EVIDENCE_ATTACHED, idempotency_key=idempotency_key)


@router.post(
    "/changes/{service}/{sha}/rollback-rehearsals",
    response={200: IntakeOut, 201: IntakeOut, 202: IntakeOut, **ERRORS},
    summary="Record a rehearsal of the change's rollback",
    auth=ScopedTokenAuth(ApiToken.Scope.EVIDENCE_WRITE),
)
def rollback_rehearsal_attach(
    request: HttpRequest,
    service: str,
    sha: str,
    payload: RollbackRehearsalIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    return _attach(request, service, sha, event=adapter.ROLLBACK_REHEARSED, idempotency_key=idempotency_key)


def _attach(request: HttpRequest, service: str, sha: str, *, event: str, idempotency_key: str | None):
    """Evidence and rollback rehearsals: the body of both routes, which differ only in their payload."""
    token_writes_for(request.auth, service=service)
    _existing_change(service, sha)
    return _intake(
        request, token=request.auth, event=event, target=(service, sha), idempotency_key=idempotency_key
    )


@router.post(
    "/provenance",
    response={200: IntakeOut, 201: IntakeOut, 202: IntakeOut, **ERRORS},
    summary="Record git-ai notes or Agent Trace records for commits, before or after their change",
    auth=ScopedTokenAuth(ApiToken.Scope.CHANGES_WRITE),
)
def provenance_record(
    request: HttpRequest,
    payload: ProvenanceRecordsIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    token: ApiToken = request.auth
    token_writes_for(token, repository=payload.repository)
    shas = [note.commit_sha for note in payload.git_ai_notes] + [
        str(record["vcs"]["revision"]) for record in payload.agent_traces
    ]
    return _intake(
        request,
        token=token,
        event=adapter.PROVENANCE_RECORDED,
        target=("", ""),
        idempotency_key=idempotency_key,
        commits=(payload.repository, shas),
    )


@router.get(
    "/deliveries/{delivery_id}",
    response={200: DeliveryOut, **ERRORS},
    summary="The state of a delivery this API accepted (for a 202 answer)",
)
def delivery_status(request: HttpRequest, delivery_id: int):
    # Any valid token may ask: the answer holds a status, not the delivered data.
    delivery = Delivery.objects.filter(id=delivery_id, source__name=adapter.SOURCE_NAME).first()
    if delivery is None:
        raise ApiError(404, f"no intake delivery {delivery_id}")
    return DeliveryOut(
        delivery_id=delivery.id,
        event_type=delivery.event_type,
        status=delivery.status,
        error=delivery.error,
        received_at=delivery.received_at,
        processed_at=delivery.processed_at,
    )
