from django.conf import settings
from django.db import models
from django.db.models import Q

from accountability.catalog.models import Person, Service
from accountability.changes.models import Change


class Incident(models.Model):
    class Status(models.TextChoices):
        TRIGGERED = "triggered"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    source = models.CharField(max_length=20, help_text="pagerduty, cdevents, manual, demo")
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=500)
    severity = models.CharField(max_length=20, blank=True, help_text="SEV1 … SEV4 or the source's urgency")
    priority = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIGGERED)
    started_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    environment = models.CharField(max_length=50, default="production")
    commander = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    url = models.URLField(max_length=500, blank=True)
    artifact_id = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="incident_unique_external")
        ]
        indexes = [models.Index(fields=["status", "-started_at"])]

    def __str__(self) -> str:
        return self.title


class IncidentEvent(models.Model):
    """One line of an incident's timeline."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=50, help_text="triggered, acknowledged, annotated, …")
    summary = models.TextField(blank=True)
    actor = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "external_id"],
                condition=~Q(external_id=""),
                name="incidentevent_unique_external",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class SuspectChange(models.Model):
    class Verdict(models.TextChoices):
        NONE = "none", "no verdict"
        CONFIRMED = "confirmed", "confirmed cause"
        RULED_OUT = "ruled_out", "ruled out"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="suspects")
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="suspected_in")
    score = models.FloatField()
    rank = models.PositiveIntegerField()
    reasons = models.JSONField(default=list, help_text='[{"code", "points", "sentence"}]')
    computed_at = models.DateTimeField()
    verdict = models.CharField(max_length=20, choices=Verdict.choices, default=Verdict.NONE)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    verdict_note = models.TextField(blank=True)

    class Meta:
        ordering = ["incident", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "change"], name="suspect_unique_incident_change")
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.change} for {self.incident}"
