"""Real protocol peers for the outbound channels: Slack's Web API on a local HTTP server, an SMTP server."""

import json
import secrets
import socket
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from aiosmtpd.controller import Controller
from werkzeug import Response

from tests.ingest.conftest import eager_tasks  # noqa: F401 (a fixture, shared)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _slack_answer(body: dict) -> Response:
    return Response(json.dumps(body), content_type="application/json")


class SlackPeer:
    """Answers chat.postMessage and users.lookupByEmail as Slack documents them, and keeps every call."""

    def __init__(self, httpserver, token: str):
        self.httpserver, self.token = httpserver, token
        self.calls: list[dict] = []
        self.lookups: list[str] = []
        self.users: dict[str, str] = {}  # e-mail address -> Slack user id
        self.answers: list[Response] = []  # queued answers first, then ok
        httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(self._handle)
        httpserver.expect_request("/api/users.lookupByEmail", method="POST").respond_with_handler(
            self._lookup
        )

    def _lookup(self, request):
        # slack-sdk sends the arguments form-encoded; Slack answers users_not_found for an unknown address.
        email = request.form.get("email", "")
        self.lookups.append(email)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Response(
                json.dumps({"ok": False, "error": "invalid_auth"}), content_type="application/json"
            )
        if email not in self.users:
            return Response(
                json.dumps({"ok": False, "error": "users_not_found"}), content_type="application/json"
            )
        user = {"id": self.users[email], "profile": {"email": email}}
        return Response(json.dumps({"ok": True, "user": user}), content_type="application/json")

    def _handle(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Response(
                json.dumps({"ok": False, "error": "invalid_auth"}), content_type="application/json"
            )
        if self.answers:
            return self.answers.pop(0)
        self.calls.append(json.loads(request.get_data()))
        return Response(
            json.dumps(
                {"ok": True, "channel": self.calls[-1]["channel"], "ts": f"1700000000.{len(self.calls):06d}"}
            ),
            content_type="application/json",
        )

    def refuse(self, status: int, *, error: str = "", headers: dict | None = None) -> None:
        body = json.dumps({"ok": False, "error": error or f"http_{status}"})
        self.answers.append(
            Response(body, status=status, headers=headers or {}, content_type="application/json")
        )


@pytest.fixture
def slack(httpserver, settings, monkeypatch):
    url = httpserver.url_for("/api/")
    # A token of its own per test, as a workspace of its own: what one test's workspace told the product
    # (a user's id, cached by token) never answers another's lookup.
    token = f"xoxb-test-{secrets.token_hex(8)}"
    settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL = token, url
    # A worker process started after this reads the same peer from its environment.
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("SLACK_API_URL", url)
    return SlackPeer(httpserver, token)


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"


class SmtpPeer:
    """A real SMTP server (aiosmtpd) on a fixed port, which a test may stop and start again."""

    def __init__(self, port: int):
        self.port, self.mailbox, self.controller = port, Mailbox(), None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.mailbox.messages


@pytest.fixture
def smtp(settings, monkeypatch):
    peer = SmtpPeer(free_port())
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": peer.port, "timeout": 5},
        }
    }
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(peer.port))
    peer.start()
    yield peer
    peer.stop()
