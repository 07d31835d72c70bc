"""The gate's answer for production, written back to GitHub as a commit status on the change's sha.

The pull request's checks are where the author and the reviewers already look: "Approved by Jane Doe;
policy allow" or "needs sign-off from Payments" says there what the dashboard knows, with a link to the
change. The status goes through the outbox (notify), so GitHub being down loses nothing; it is posted as
the GitHub App's installation for the repository (the one its deployment protection requests came from,
else GITHUB_APP_INSTALLATION_ID), and nothing is queued when the app is not configured.
"""

import json
import re

import requests
from django.conf import settings
from django.urls import reverse

from accountability.api.models import GateDecision, ProtectionRuleRequest
from accountability.gate.github_app import (
    GitHubAppError,
    GitHubTransientError,
    callback_url_allowed,
    github_post,
    installation_token,
    installation_token_forget,
)
from accountability.notify.channels import Permanent, Transient
from accountability.notify.messages import site_link
from accountability.notify.models import Notification
from accountability.notify.services import notification_queue

CONTEXT = "accountability/production"
# GitHub cuts a status description at 140 characters.
DESCRIPTION_MAX = 140
STATES = {"allow": "success", "warn": "success", "deny": "failure"}
SIGNOFF_CONTROLS = ("owner_signed_off", "signer_accountable")
# GitHub's owner/name alphabet; anything else (another forge, a typo) never becomes part of a URL.
REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def commit_status_queue(*, decision: GateDecision) -> Notification | None:
    """Queue the status a production decision about a known change gives, unless GitHub already has it.

    A status equal to the last one queued for the same sha is not queued again (a pipeline that retries its
    gate call sends one status); a different one is, even if it was sent before (deny, allow, deny again).
    """
    change = decision.change
    if change is None or decision.environment != "production":
        return None
    if not REPOSITORY.fullmatch(change.repository) or not SHA.fullmatch(change.sha):
        return None  # not a GitHub repository and commit: nothing there to write on
    if not settings.GITHUB_APP_ID:
        return None  # no app: no query on the gate's path
    installation_id = installation_for(repository=change.repository)
    if installation_id is None:
        return None
    recipient = f"{change.repository}@{change.sha}"
    state, description = commit_status_for(decision=decision)
    body = json.dumps(
        {
            "state": state,
            "description": description,
            "context": CONTEXT,
            "target_url": site_link(reverse("changes:detail", args=[change.pk])),
            "installation_id": installation_id,
        },
        sort_keys=True,
    )
    latest = (
        Notification.objects.filter(channel=Notification.Channel.GITHUB_STATUS, recipient=recipient)
        .order_by("-id")
        .first()
    )
    if latest is not None and latest.body == body:
        return None
    return notification_queue(
        key=f"github_status:{recipient}:after:{latest.pk if latest else 0}",
        trigger=Notification.Trigger.GATE,
        channel=Notification.Channel.GITHUB_STATUS,
        recipient=recipient,
        subject=f"{state}: {description}",
        body=body,
        link=json.loads(body)["target_url"],
    )


def commit_status_for(*, decision: GateDecision) -> tuple[str, str]:
    """(GitHub state, description) for a decision: who signed and the policy's answer, or what is missing."""
    controls = {control["code"]: control for control in decision.controls}
    failed = [control for control in decision.controls if not control["passed"]]
    signed = controls.get("owner_signed_off", {})
    if any(control["code"] in SIGNOFF_CONTROLS for control in failed):
        service = decision.change.service
        who = service.owner_team.name if service.owner_team_id else "the owner of record"
        description = f"needs sign-off from {who}; policy {decision.decision}"
    elif decision.decision == "deny":
        description = f"policy deny: {failed[0]['label']}" if failed else "policy deny"
        if len(failed) > 1:
            description += f" (+{len(failed) - 1} more)"
    elif signed.get("passed"):
        description = f"{signed['sentence'].rstrip('.')}; policy {decision.decision}"
    else:
        description = f"policy {decision.decision}"
    return STATES[decision.decision], description[:DESCRIPTION_MAX]


def installation_for(*, repository: str) -> int | None:
    """The GitHub App installation that covers `repository`: the one its protection requests named."""
    seen = (
        ProtectionRuleRequest.objects.filter(repository__iexact=repository, installation_id__isnull=False)
        .order_by("-requested_at")
        .values_list("installation_id", flat=True)
        .first()
    )
    return seen or settings.GITHUB_APP_INSTALLATION_ID


def commit_status_send(notification: Notification) -> str:
    """The outbox's sender for GitHub statuses (registered in gate/apps.py: notify sits below the gate).

    A status superseded by a newer one for the same sha is not posted: GitHub shows the latest it got,
    and an old answer arriving last would contradict the gate.
    """
    newer = (
        Notification.objects.filter(
            channel=Notification.Channel.GITHUB_STATUS,
            recipient=notification.recipient,
            pk__gt=notification.pk,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if newer is not None:
        raise Permanent(f"superseded by notification {newer}")
    status = json.loads(notification.body)
    repository, sha = notification.recipient.rsplit("@", 1)
    url = f"{settings.GITHUB_API_URL}/repos/{repository}/statuses/{sha}"
    if not callback_url_allowed(url):
        raise Permanent(f"{url} is not on {settings.GITHUB_API_URL}")
    fields = {key: status[key] for key in ("state", "description", "context", "target_url")}
    try:
        token = installation_token(installation_id=status["installation_id"])
        response = github_post(url, credential=token, body=fields)
    except GitHubTransientError as error:
        raise Transient(str(error)) from None
    except (GitHubAppError, requests.RequestException) as error:
        raise Permanent(str(error)) from None
    if response.status_code == 401:
        installation_token_forget(installation_id=status["installation_id"])
        raise Transient("GitHub refused the installation token (401): a fresh one is minted next time")
    if response.status_code != 201:
        raise Permanent(f"GitHub refused the status: {response.status_code} {response.text[:300]}")
    return str(response.json().get("id", ""))
