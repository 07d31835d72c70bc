"""GitHub webhooks: the signature, the event, the delivery id; the events' handlers are beside it."""

import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs

from accountability.changes.provenance_signals import agent_account_tool
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Source
from accountability.ingest.payload import (
    body_digest,
    get,
    hmac_sha256_hex,
    json_object,
    require_secret,
    text,
)

PROVIDER = "github"


@dataclass(frozen=True)
class GitHubEvent:
    name: str
    action: str
    data: dict


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256 of the raw body under the webhook secret."""
    secret = require_secret(source)
    signature = headers.get("x-hub-signature-256", "")
    if not signature.startswith("sha256="):
        raise SignatureError("X-Hub-Signature-256 is missing")
    if not hmac.compare_digest(signature.removeprefix("sha256="), hmac_sha256_hex(secret, body)):
        raise SignatureError("X-Hub-Signature-256 does not match the body")


def parse(*, body: bytes, headers: dict) -> GitHubEvent:
    name = headers.get("x-github-event", "")
    if not name:
        raise PayloadError("X-GitHub-Event is missing")
    # A webhook may be configured with content type application/x-www-form-urlencoded: payload=<json>.
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            body = parse_qs(body.decode(), strict_parsing=True)["payload"][0].encode()
        except (UnicodeDecodeError, ValueError, KeyError):
            raise PayloadError("a form-encoded delivery must carry the JSON in its payload field") from None
    data = json_object(body)
    return GitHubEvent(name=name, action=text(data, "action"), data=data)


def identify(*, payload: GitHubEvent, headers: dict, body: bytes) -> tuple[str, str]:
    """(external id, event type) of a delivery: X-GitHub-Delivery, and the event with its action."""
    external_id = headers.get("x-github-delivery", "")[:200] or body_digest(body)
    event_type = f"{payload.name}.{payload.action}" if payload.action else payload.name
    return external_id, event_type[:200]


def repository_name(data: dict) -> str:
    return get(data, "repository.full_name")[:200]


def is_bot(user: dict) -> bool:
    login = text(user, "login")
    return text(user, "type") == "Bot" or login.endswith("[bot]") or agent_account_tool(login) is not None
