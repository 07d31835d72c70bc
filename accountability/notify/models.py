from django.contrib.postgres.fields import ArrayField
from django.db import models

from accountability.catalog.models import Person, Service
from accountability.ingest.fields import EncryptedTextField


class Notification(models.Model):
    """One message to one recipient on one channel: the outbox.

    A row is written in the same transaction as the event that causes it, so an event that is committed
    always has its messages, and a rolled-back one has none. `key` names (trigger, subject, recipient):
    writing the same notification twice keeps one row, so nothing is sent twice.
    """

    class Trigger(models.TextChoices):
        SIGNOFF_NEEDED = "signoff_needed", "sign-off needed"
        INCIDENT = "incident", "incident"
        DEPLOYMENT = "deployment", "production deployment"
        GAP = "gap", "new high-severity gap"
        DIGEST = "digest", "weekly digest"
        GATE = "gate", "gate answer on GitHub"

    class Channel(models.TextChoices):
        SLACK = "slack", "Slack"
        SLACK_DIRECT = "slack_direct", "Slack direct message"
        EMAIL = "email", "e-mail"
        PAGERDUTY_CHANGE = "pagerduty_change", "PagerDuty change event"
        PAGERDUTY_NOTE = "pagerduty_note", "PagerDuty incident note"
        GITHUB_STATUS = "github_status", "GitHub commit status"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    key = models.CharField(max_length=300, unique=True)
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    recipient = models.CharField(
        max_length=300,
        help_text=(
            "a Slack channel, an e-mail address (of a mailbox or a Slack user), a service slug, "
            "a PagerDuty incident id, or owner/repo@sha for a GitHub commit status"
        ),
    )
    subject = models.CharField(
        max_length=300, help_text="a one-line summary: the e-mail subject, Slack's fallback"
    )
    body = models.TextField(help_text="plain text (Slack mrkdwn for Slack)")
    link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True, help_text="Slack's message ts")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="notification_due"
            ),
            models.Index(fields=["recipient", "sent_at"], name="notification_recipient_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}: {self.subject}"


class PagerDutyIntegration(models.Model):
    """The Events API v2 integration of a service in PagerDuty: its production deployments are sent there as
    change events, so PagerDuty's own "Recent Changes" names the owner of record."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="pagerduty_integration")
    routing_key = EncryptedTextField(
        help_text="The integration key of the service's Events API v2 integration"
    )

    def __str__(self) -> str:
        return f"PagerDuty integration of {self.service}"


class NotificationSettings(models.Model):
    """What one person chooses to hear: messages addressed to them (not their team's channel).

    Incidents always go: nothing a person chooses holds back a page at 2 a.m.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="notification_settings")
    muted_triggers = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    quiet_from = models.TimeField(null=True, blank=True, help_text="start of quiet hours, in time_zone")
    quiet_until = models.TimeField(null=True, blank=True, help_text="end of quiet hours, in time_zone")
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"notification settings of {self.person}"
