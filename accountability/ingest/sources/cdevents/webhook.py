"""CDEvents over HTTP: the three ways a sender authenticates, the three encodings, the delivery id."""

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Source
from accountability.ingest.payload import (
    get,
    hmac_sha256_hex,
    json_object,
    require_secret,
    text,
)
from accountability.ingest.upserts import (
    timestamp,
)

PROVIDER = "cdevents"
_TYPE = re.compile(
    r"^dev\.cdevents\.(?P<subject>[a-z]+)\.(?P<predicate>[a-z]+)\.(?P<version>\d+\.\d+\.\d+.*)$"
)


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
