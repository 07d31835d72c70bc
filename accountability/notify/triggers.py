"""Who hears what: each trigger decides the recipients and queues one notification per recipient.

Called by the code that causes the event, inside its transaction. Slack messages go to a team's
`chat_channel` when SLACK_BOT_TOKEN is set; e-mails to a person's or a team's address.
"""

from django.conf import settings

from accountability.changes.models import Change
from accountability.incidents.models import Incident, SuspectChange
from accountability.notify.messages import incident_message, signoff_needed_message
from accountability.notify.models import Notification
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
        recipients.append((Notification.Channel.EMAIL, owner.email))
    team = change.service.owner_team
    if team is not None and team.chat_channel and settings.SLACK_BOT_TOKEN:
        recipients.append((Notification.Channel.SLACK, team.chat_channel))
    for channel, recipient in recipients:
        notification_queue(
            key=f"signoff_needed:{change.pk}:{environment}:{channel}:{recipient.lower()}",
            trigger=Notification.Trigger.SIGNOFF_NEEDED,
            channel=channel,
            recipient=recipient,
            subject=message.subject,
            body=message.body,
            link=message.link,
        )
    return len(recipients)


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
        team = service.owner_team
        if team is None:
            continue
        if team.chat_channel and settings.SLACK_BOT_TOKEN:
            recipients.add((Notification.Channel.SLACK, team.chat_channel))
        elif team.email:
            recipients.add((Notification.Channel.EMAIL, team.email))
    if not recipients:
        return 0
    message = incident_message(incident=incident, suspects=suspects)
    for channel, recipient in sorted(recipients):
        notification_queue(
            key=f"incident:{incident.pk}:top:{top}:{channel}:{recipient.lower()}",
            trigger=Notification.Trigger.INCIDENT,
            channel=channel,
            recipient=recipient,
            subject=message.subject,
            body=message.body,
            link=message.link,
        )
    return len(recipients)
