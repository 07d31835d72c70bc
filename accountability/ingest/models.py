from django.db import models

from accountability.ingest.fields import EncryptedTextField


class Source(models.Model):
    class Kind(models.TextChoices):
        GITHUB = "github", "GitHub"
        PAGERDUTY = "pagerduty", "PagerDuty"
        CDEVENTS = "cdevents", "CDEvents"
        API = "api", "CI API"
        BACKSTAGE = "backstage", "Backstage catalog"
        CODEOWNERS = "codeowners", "CODEOWNERS"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.SlugField(max_length=100, unique=True)
    # Both are encrypted at rest (see fields.py); a webhook source without a secret refuses every delivery.
    secret = EncryptedTextField(blank=True, help_text="Webhook signing secret (or CDEvents bearer token)")
    token = EncryptedTextField(blank=True, help_text="Token for pulling from the source's API")
    url = models.URLField(max_length=500, blank=True, help_text="Base URL of the source's API, for pull jobs")
    config = models.JSONField(default=dict, blank=True, help_text="Source-specific options (repositories, …)")
    enabled = models.BooleanField(default=True)
    pull_every_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: push only")
    cursor = models.JSONField(default=dict, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Delivery(models.Model):
    """A payload as received, stored before it is processed; the record that makes processing replayable."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSED = "processed"
        IGNORED = "ignored"
        FAILED = "failed"

    # No index of its own: the unique (source, external id) index leads with it, and every index is one
    # more write on the receiver's insert.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="deliveries", db_index=False)
    external_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why it failed, or why it was ignored")
    processed_at = models.DateTimeField(null=True, blank=True)
    pruned_at = models.DateTimeField(
        null=True, blank=True, help_text="When its raw body was dropped after INGEST_RETENTION_DAYS"
    )
    swept_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep last enqueued it again, its first task being lost"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="delivery_unique_external")
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            # What retention has still to prune: old rows already pruned drop out of it.
            models.Index(
                fields=["received_at"],
                condition=models.Q(pruned_at__isnull=True, status__in=["processed", "ignored"]),
                name="delivery_prunable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name}/{self.external_id} {self.event_type} ({self.status})"


# Marks a delivery a pull job stored (the source's authenticated REST API), as opposed to one pushed to a
# webhook; the receivers never store a header of this name from a request, so a sender cannot claim it.
PULLED_HEADER = "x-accountability-pulled"
