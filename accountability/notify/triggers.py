"""Who hears what: each trigger decides the recipients and queues one notification per recipient.

Called by the code that causes the event, inside its transaction. Slack messages go to a team's
`chat_channel` when SLACK_BOT_TOKEN is set; e-mails to a person's or a team's address.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accountability.catalog.models import Person, Team
from accountability.changes.models import Change, Deployment
from accountability.incidents.models import Incident, SuspectChange
from accountability.ingest.models import Source
from accountability.notify.messages import (
    Message,
    change_event,
    gaps_message,
    incident_message,
    signoff_needed_message,
)
from accountability.notify.models import Notification, PagerDutyIntegration
from accountability.notify.services import notification_queue

SIGNOFF_CONTROLS = {"owner_signed_off", "signer_accountable"}


def signoff_needed_notify(*, change: Change, environment: str, controls: list[dict]) -> int:
    """A production deploy waits on a missing or invalid sign-off: the owner of record and the team hear.

    One message per change, environment and recipient however often the pipeline asks the gate.
    """
    failed = [control for control in controls if not control["passed"]]
    if not any(control["code"] in SIGNOFF_CONTROLS for control in failed):
        return 0
    message = signoff_needed_message(change=change, environment=environment, failed=failed)
    recipients = []
    owner = change.service.owner_of_record
    if owner is not None and owner.email and owner.is_active:
        recipients.append((Notification.Channel.EMAIL, owner.email, owner))
        if settings.SLACK_BOT_TOKEN:
            recipients.append((Notification.Channel.SLACK_DIRECT, owner.email, owner))
    team = change.service.owner_team
    if team is not None and team.chat_channel and settings.SLACK_BOT_TOKEN:
        recipients.append((Notification.Channel.SLACK, team.chat_channel, None))
    key = f"signoff_needed:{change.pk}:{environment}"
    return _tell(message, trigger=Notification.Trigger.SIGNOFF_NEEDED, key=key, recipients=recipients)


def incident_notify(*, incident: Incident) -> int:
    """An incident arrived or its top suspect changed: the affected services' teams hear.

    The key holds the top suspect, so a re-ranking that keeps it sends nothing and one that changes it
    sends the new picture. Incidents ignore quiet hours: they always go.
    """
    if incident.status == Incident.Status.RESOLVED:
        return 0
    suspects = list(
        SuspectChange.objects.filter(incident=incident)
        .exclude(verdict=SuspectChange.Verdict.RULED_OUT)
        .select_related("change__service__owner_of_record", "change__rollback_plan", "change__provenance")
        .order_by("rank")[:3]
    )
    top = suspects[0].change_id if suspects else "none"
    recipients = set()
    for service in incident.services.select_related("owner_team"):
        channel, recipient = _team_recipient(service.owner_team) if service.owner_team else (None, "")
        if channel is not None:
            recipients.add((channel, recipient, None))
    if incident.source == "pagerduty" and _pagerduty_notes_possible():
        # PagerDuty's own incident page gets the same facts as a note, where the responders already are.
        recipients.add((Notification.Channel.PAGERDUTY_NOTE, incident.external_id, None))
    if not recipients:
        return 0
    message = incident_message(incident=incident, suspects=suspects)
    key = f"incident:{incident.pk}:top:{top}"
    return _tell(message, trigger=Notification.Trigger.INCIDENT, key=key, recipients=sorted(recipients))


# Deployments older than this are history (a backfill, a replay): PagerDuty's "Recent Changes" is about now.
ANNOUNCE_WITHIN = timedelta(hours=24)


def deployments_announce(*, change: Change) -> int:
    """Each recent successful production deployment of the change becomes one PagerDuty change event on its
    service's integration, carrying the owner of record, the AI level and the link to the change."""
    if not PagerDutyIntegration.objects.filter(service_id=change.service_id).exists():
        return 0
    deployments = Deployment.objects.filter(
        change=change,
        environment="production",
        status=Deployment.Status.SUCCEEDED,
        finished_at__gte=timezone.now() - ANNOUNCE_WITHIN,
    )
    for deployment in deployments:
        event = change_event(change=change, deployment=deployment)
        notification_queue(
            key=f"pagerduty_change:{deployment.pk}",
            trigger=Notification.Trigger.DEPLOYMENT,
            channel=Notification.Channel.PAGERDUTY_CHANGE,
            recipient=change.service.slug,
            subject=event["payload"]["summary"],
            body=json.dumps(event),
            link=event["links"][0]["href"],
        )
    return len(deployments)


def new_gaps_notify(*, gaps: list) -> int:
    """High-severity gaps a scan just opened: one message per accountable team, listing them.

    One message per team and scan rather than per gap: the first scan of a new installation opens many at
    once, and a channel flooded with them would be muted. The key names the gaps, so a repeated call for
    the same ones sends nothing.
    """
    by_team: dict[int, list] = {}
    for gap in gaps:
        if gap.severity == "high" and gap.accountable_team_id is not None:
            by_team.setdefault(gap.accountable_team_id, []).append(gap)
    sent = 0
    for team in Team.objects.filter(pk__in=by_team):
        channel, recipient = _team_recipient(team)
        if channel is None:
            continue
        team_gaps = sorted(by_team[team.pk], key=lambda gap: gap.pk)
        key = f"gaps:{team.pk}:{team_gaps[0].pk}-{team_gaps[-1].pk}:{len(team_gaps)}"
        message = gaps_message(team=team, gaps=team_gaps)
        sent += _tell(
            message, trigger=Notification.Trigger.GAP, key=key, recipients=[(channel, recipient, None)]
        )
    return sent


def _tell(
    message: Message, *, trigger: str, key: str, recipients: list[tuple[str, str, Person | None]]
) -> int:
    """Queue `message` once per (channel, recipient); `key` names the trigger and its subject."""
    for channel, recipient, person in recipients:
        notification_queue(
            key=f"{key}:{channel}:{recipient.lower()}",
            trigger=trigger,
            channel=channel,
            recipient=recipient,
            subject=message.subject,
            body=message.body,
            link=message.link,
            person=person,
        )
    return len(recipients)


def _team_recipient(team: Team) -> tuple[str | None, str]:
    if team.chat_channel and settings.SLACK_BOT_TOKEN:
        return Notification.Channel.SLACK, team.chat_channel
    if team.email:
        return Notification.Channel.EMAIL, team.email
    return None, ""


def _pagerduty_notes_possible() -> bool:
    if not settings.PAGERDUTY_FROM_EMAIL:
        return False
    sources = Source.objects.filter(kind=Source.Kind.PAGERDUTY, enabled=True)
    return any(source.token for source in sources)  # the token is encrypted: no SQL filter
