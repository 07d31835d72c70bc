"""What each message says: the few facts that let a person act without opening the dashboard.

Bodies are Slack mrkdwn; e-mails and PagerDuty notes get them as plain text (`plain_text`).
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse

from accountability.catalog.selectors import team_on_call
from accountability.changes.models import Change, Deployment
from accountability.changes.rollback import rollback_plan_for
from accountability.incidents.models import Incident, SuspectChange

TOP_SUSPECTS = 3


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# Slack's mrkdwn marks (docs.slack.dev "Formatting text for app surfaces") that a plain-text reader would
# see as noise: *bold*, _italic_, `code`, and <url|label> links.
MRKDWN_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")
MRKDWN_EMPHASIS = re.compile(r"(?<![\w*_`])([*_`])([^*_`\n]+)\1(?![\w*_`])")


def plain_text(body: str) -> str:
    """A message body as an e-mail or a PagerDuty note shows it: marks dropped, links spelled out."""
    return MRKDWN_EMPHASIS.sub(r"\2", MRKDWN_LINK.sub(r"\2 <\1>", body))


def _related(instance, name: str):
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def _ai_line(change: Change) -> str:
    provenance = _related(change, "provenance")
    if provenance is None or provenance.level == "unknown":
        return "AI: unknown (no provenance signal)"
    share = f", {float(provenance.ai_share):.0%} of added lines" if provenance.ai_share is not None else ""
    tools = f", {', '.join(provenance.tools)}" if provenance.tools else ""
    return f"AI: {provenance.get_level_display()}{share}{tools}"


def _blast_line(change: Change) -> str:
    radius = _related(change, "blast_radius")
    if radius is None:
        return "Blast radius: not computed yet"
    if radius.unknown:
        return "Blast radius: unknown (the service has no dependency data)"
    teams = ", ".join(team["name"] for team in radius.teams[:3])
    return f"Blast radius: {radius.impacted_count} services, score {radius.score:.1f}" + (
        f"; teams {teams}" if teams else ""
    )


def _rollback_line(change: Change, *, steps: bool) -> str:
    plan = rollback_plan_for(change=change, service_default=_related(change.service, "default_rollback_plan"))
    if plan is None:
        return "Rollback: no plan recorded"
    minutes = f", ~{plan.expected_minutes} min" if plan.expected_minutes else ""
    line = f"Rollback: {plan.get_strategy_display()}{minutes}"
    if steps and plan.steps:
        line += "\n" + "\n".join(f"> {step}" for step in plan.steps.strip().splitlines()[:8])
    return line


def signoff_needed_message(*, change: Change, environment: str, failed: list[dict]) -> Message:
    owner = change.service.owner_of_record
    missing = "\n".join(f"• {control['sentence']}" for control in failed[:6])
    title = change.title or change.sha[:12]
    pull = f" (<{change.pr_url}|PR #{change.pr_number}>)" if change.pr_url and change.pr_number else ""
    body = "\n".join(
        [
            f"*{change.service.name}* is waiting to deploy to {environment}: *{title}*{pull}",
            f"Owner of record: {owner.name if owner else 'nobody — the service has no owner of record'}",
            _ai_line(change),
            _blast_line(change),
            _rollback_line(change, steps=False),
            "The gate refused it because:",
            missing,
        ]
    )
    return Message(
        subject=f"Sign-off needed: {change.service.name} — {change.title or change.sha[:12]}"[:300],
        body=body,
        link=site_link(reverse("changes:sign", args=[change.pk])),
    )


def incident_message(*, incident: Incident, suspects: list[SuspectChange]) -> Message:
    services = list(incident.services.all())
    lines = [f"*{incident.severity or 'Incident'}*: {incident.title}"]
    for service in services[:3]:
        owner = service.owner_of_record
        on_call = (
            ", ".join(shift.person.name for shift in team_on_call(team=service.owner_team).now) or "nobody"
        )
        lines.append(
            f"{service.name}: owner of record {owner.name if owner else 'none'}"
            f" ({service.owner_team.name if service.owner_team else 'no team'}); on call now {on_call}"
        )
    if suspects:
        lines.append("Likeliest causes:")
        for suspect in suspects[:TOP_SUSPECTS]:
            change = suspect.change
            reasons = "; ".join(reason["sentence"].rstrip(".") for reason in suspect.reasons[:2])
            lines.append(
                f"{suspect.rank}. {change.service.name}: {change.title or change.sha[:12]} — {reasons}"
            )
        lines.append(_rollback_line(suspects[0].change, steps=True))
    else:
        lines.append("No change was deployed in the window before it started.")
    return Message(
        subject=f"Incident: {incident.title}"[:300],
        body="\n".join(lines),
        link=site_link(reverse("incidents:detail", args=[incident.pk])),
    )


def change_event(*, change: Change, deployment: Deployment) -> dict:
    """An Events API v2 change event without its routing key (added when sent)."""
    owner = change.service.owner_of_record
    provenance = _related(change, "provenance")
    link = site_link(reverse("changes:detail", args=[change.pk]))
    return {
        "payload": {
            "summary": f"Deployed to production: {change.service.name} — {change.title or change.sha[:12]}"[
                :1024
            ],
            "timestamp": (deployment.finished_at or deployment.started_at).isoformat(),
            "source": "accountability",
            "custom_details": {
                "service": change.service.slug,
                "sha": change.sha,
                "owner_of_record": owner.name if owner else "none",
                "signed_by": change.last_signer or "nobody",
                "ai_level": provenance.level if provenance else "unknown",
                "ai_share": float(provenance.ai_share)
                if provenance and provenance.ai_share is not None
                else None,
                "deployed_by": deployment.deployed_by.name if deployment.deployed_by else "",
            },
        },
        "links": [{"href": link, "text": "Owner, AI provenance and rollback in Accountability"}],
    }


def gaps_message(*, team, gaps: list) -> Message:
    lines = [f"{len(gaps)} new high-severity ownership gap{'s' if len(gaps) != 1 else ''} for *{team.name}*:"]
    lines += [f"• {gap.sentence}" for gap in gaps[:10]]
    if len(gaps) > 10:
        lines.append(f"… and {len(gaps) - 10} more")
    return Message(
        subject=f"New ownership gaps for {team.name}: {len(gaps)}",
        body="\n".join(lines),
        link=site_link(reverse("changes:gaps") + f"?team={team.slug}"),
    )
