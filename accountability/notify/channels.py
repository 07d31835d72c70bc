"""The channels a notification goes out on, each with the same contract.

`send(notification)` returns the channel's id for the message (or ""), raises `Transient` for what is
worth retrying (a 429 with its Retry-After, a 5xx, a timeout, a refused connection) and `Permanent` for
what will never succeed (an unknown channel, a bad token, a refused address).
"""

import hashlib
import json
import smtplib
from typing import NoReturn
from urllib.error import URLError

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.urls import reverse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from accountability.ingest.models import Source
from accountability.notify.messages import plain_text, site_link
from accountability.notify.models import Notification, PagerDutyIntegration

TIMEOUT_SECONDS = 10
SLACK_USER_CACHE_SECONDS = 24 * 3600
# Slack's answers that mean "later", not "never" (https://docs.slack.dev/reference/methods/chat.postMessage).
SLACK_TRANSIENT_ERRORS = {
    "ratelimited",
    "service_unavailable",
    "fatal_error",
    "internal_error",
    "request_timeout",
}


class Transient(Exception):
    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(Exception):
    pass


def slack_send(notification: Notification) -> str:
    """A message to a team's channel (its name or id, as the catalog holds it)."""
    return _slack_post(_slack_client(), channel=notification.recipient, notification=notification)


def slack_direct_send(notification: Notification) -> str:
    """A direct message to the person whose e-mail is the recipient: Slack finds the user by e-mail
    (users.lookupByEmail, scope users:read.email), and a bot's chat.postMessage to a user id lands in the
    app's conversation with them. The user id is cached for a day, per workspace token: people rarely
    change workspaces, and a new token may be another workspace."""
    client = _slack_client()
    email = notification.recipient.lower()
    workspace = hashlib.sha256(settings.SLACK_BOT_TOKEN.encode()).hexdigest()[:16]
    key = f"slack-user:{workspace}:{email}"
    user_id = cache.get(key)
    if user_id is None:
        try:
            user_id = client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as error:
            if error.response.get("error") == "users_not_found":
                raise Permanent(f"no Slack user has the address {email}") from None
            _slack_raise(error)
        except (SlackClientError, URLError, TimeoutError, ConnectionError) as error:
            raise Transient(f"Slack could not be reached: {error}") from None
        cache.set(key, user_id, timeout=SLACK_USER_CACHE_SECONDS)
    return _slack_post(client, channel=user_id, notification=notification)


def _slack_client() -> WebClient:
    if not settings.SLACK_BOT_TOKEN:
        raise Permanent("SLACK_BOT_TOKEN is not set")
    return WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=TIMEOUT_SECONDS)


def _slack_post(client: WebClient, *, channel: str, notification: Notification) -> str:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": notification.body[:2900]}}]
    if notification.link:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{notification.link}|Open in Accountability>"}],
            }
        )
    try:
        response = client.chat_postMessage(
            channel=channel, text=notification.subject, blocks=blocks, unfurl_links=False
        )
    except SlackApiError as error:
        _slack_raise(error)
    except (SlackClientError, URLError, TimeoutError, ConnectionError) as error:
        raise Transient(f"Slack could not be reached: {error}") from None
    return str(response.get("ts", ""))


def _slack_raise(error: SlackApiError) -> NoReturn:
    status, code = error.response.status_code, error.response.get("error", "")
    if status == 429:
        raise Transient("Slack answered 429", retry_after=_seconds(error.response.headers.get("Retry-After")))
    if status >= 500 or code in SLACK_TRANSIENT_ERRORS:
        raise Transient(f"Slack answered {status} {code}".strip())
    raise Permanent(f"Slack refused the message: {code or status}")


def email_send(notification: Notification) -> str:
    body = plain_text(notification.body) + (f"\n\n{notification.link}\n" if notification.link else "\n")
    body += f"\nChoose what you hear: {site_link(reverse('notify:settings'))}\n"
    message = EmailMessage(
        subject=notification.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Accountability-Key": notification.key[:200]},
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise Permanent(f"the mail server refused {notification.recipient}: {error.recipients}") from None
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise Transient(f"the mail server answered {error.smtp_code}") from None
        raise Permanent(f"the mail server answered {error.smtp_code} {error.smtp_error!r}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise Transient(f"the mail server could not be reached: {error}") from None
    return ""


def pagerduty_change_send(notification: Notification) -> str:
    """Events API v2 change event (https://developer.pagerduty.com/docs/send-change-event): the body holds
    the event, the service's routing key is added at sending time so it is never copied into the outbox."""
    integration = PagerDutyIntegration.objects.filter(service__slug=notification.recipient).first()
    if integration is None:
        raise Permanent(f"service {notification.recipient} has no PagerDuty integration key")
    event = {**json.loads(notification.body), "routing_key": integration.routing_key}
    _pagerduty_post(f"{settings.PAGERDUTY_EVENTS_URL}/v2/change/enqueue", body=event, headers={})
    return ""


def pagerduty_note_send(notification: Notification) -> str:
    """A note on the incident through the REST API, with the PagerDuty pull source's key, as the user
    PAGERDUTY_FROM_EMAIL (PagerDuty requires a `From` header naming one of its users)."""
    sources = Source.objects.filter(kind=Source.Kind.PAGERDUTY, enabled=True).order_by("id")
    source = next((source for source in sources if source.token), None)  # encrypted: no SQL filter
    if source is None or not settings.PAGERDUTY_FROM_EMAIL:
        raise Permanent("notes need a PagerDuty source with a REST API key, and PAGERDUTY_FROM_EMAIL")
    base = (source.url or settings.PAGERDUTY_API_URL).rstrip("/")
    headers = {
        "Authorization": f"Token token={source.token}",
        "Accept": "application/vnd.pagerduty+json;version=2",
        "From": settings.PAGERDUTY_FROM_EMAIL,
    }
    note = {"note": {"content": plain_text(notification.body)[:25_000]}}
    response = _pagerduty_post(f"{base}/incidents/{notification.recipient}/notes", body=note, headers=headers)
    return str(response.json().get("note", {}).get("id", ""))


def _pagerduty_post(url: str, *, body: dict, headers: dict) -> requests.Response:
    try:
        response = requests.post(url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise Transient(f"PagerDuty could not be reached: {error}") from None
    if response.status_code == 429:
        raise Transient("PagerDuty answered 429", retry_after=_seconds(response.headers.get("Retry-After")))
    if response.status_code >= 500:
        raise Transient(f"PagerDuty answered {response.status_code}")
    if response.status_code >= 400:
        raise Permanent(f"PagerDuty refused it: {response.status_code} {response.text[:300]}")
    return response


SENDERS = {
    Notification.Channel.SLACK: slack_send,
    Notification.Channel.SLACK_DIRECT: slack_direct_send,
    Notification.Channel.EMAIL: email_send,
    Notification.Channel.PAGERDUTY_CHANGE: pagerduty_change_send,
    Notification.Channel.PAGERDUTY_NOTE: pagerduty_note_send,
}


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
