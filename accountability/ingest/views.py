"""Webhook receivers: machine endpoints that do their own authentication (the source's signature)."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.receiving import delivery_receive, source_receiving, sources_forget

logger = logging.getLogger(__name__)


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    return JsonResponse({"status": "error", "error": message}, status=status, headers=headers)


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than INGEST_MAX_BODY_BYTES (checked before reading it all)."""
    limit = settings.INGEST_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= limit else None


@csrf_exempt
@login_not_required
def receive(request: HttpRequest, kind: str, name: str) -> JsonResponse:
    """Answers as senders expect (DESIGN §15): 202 stored, 200 duplicate, 401 signature, 400 malformed,
    404 unknown source, 413 too large, and 503 when our database is down, so that PagerDuty retries."""
    if request.method != "POST":
        return _error(405, "webhooks are delivered with POST", Allow="POST")
    try:
        source = source_receiving(kind=kind, name=name)
        if source is None:
            return _error(404, f"no enabled {kind} source named {name!r}")
        body = _read_body(request)
        if body is None:
            return _error(413, f"the body is larger than {settings.INGEST_MAX_BODY_BYTES} bytes")
        headers = dict(request.headers)
        try:
            receipt = delivery_receive(source=source, headers=headers, body=body)
        except SignatureError:
            # The kept source may predate a new secret: verify once more against the database's.
            source = source_receiving(kind=kind, name=name, fresh=True)
            if source is None:
                return _error(404, f"no enabled {kind} source named {name!r}")
            receipt = delivery_receive(source=source, headers=headers, body=body)
    except SignatureError as problem:
        return _error(401, str(problem))
    except PayloadError as problem:
        return _error(400, str(problem))
    except IntegrityError:
        # The kept source was deleted by another process: a retry finds the database's answer.
        sources_forget()
        logger.warning("webhook for %s/%s not stored: its source is gone", kind, name)
        return _error(503, "temporarily unable to store the delivery; retry later", **{"Retry-After": "30"})
    except (OperationalError, InterfaceError):
        logger.exception("webhook for %s/%s not stored: database unavailable", kind, name)
        return _error(503, "temporarily unable to store the delivery; retry later", **{"Retry-After": "30"})
    if not receipt.created:
        logger.info("delivery %s from %s/%s received again: duplicate", receipt.delivery.id, kind, name)
        return JsonResponse({"status": "duplicate", "delivery": receipt.delivery.id}, status=200)
    logger.info("delivery %s from %s/%s stored", receipt.delivery.id, kind, name)
    return JsonResponse({"status": "accepted", "delivery": receipt.delivery.id}, status=202)
