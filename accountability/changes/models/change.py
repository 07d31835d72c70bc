"""A change (one merged pull request or pushed commit of a service), its commits and deployments."""

from datetime import UTC, datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from accountability.catalog.models import Person, Service

# When a change is still pending (not merged): see Change.review_at.
PENDING = datetime.max.replace(tzinfo=UTC)
REVIEW_FILTERS = ("service_tier", "approved", "ai_level", "service_id")


class Change(models.Model):
    """The unit of accountability: one deployable change of one service."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="changes")
    repository = models.CharField(max_length=200, blank=True)
    sha = models.CharField(max_length=64, help_text="The merge (or head) commit that gets deployed")
    commit_shas = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    pr_number = models.PositiveIntegerField(null=True, blank=True)
    pr_url = models.URLField(blank=True)
    title = models.CharField(max_length=500, blank=True)
    authors = models.ManyToManyField(Person, blank=True, related_name="authored_changes")
    author_logins = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    merged_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_changes"
    )
    merged_by_login = models.CharField(max_length=100, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    files_changed = models.PositiveIntegerField(default=0)
    additions = models.PositiveIntegerField(default=0)
    deletions = models.PositiveIntegerField(default=0)
    touches_schema_migration = models.BooleanField(default=False)
    labels = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    # Who assigned or started the AI agent that authored the PR (assignee, "Requested by", pipeline).
    driver_logins = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    described_by = models.CharField(
        max_length=20,
        blank=True,
        db_default="",
        help_text="Whose description (title, authors, size) it carries: github, the merged PR and the "
        "authority, or api, a CI registration, which may revise its own but never the PR's",
    )
    touched = ArrayField(
        models.CharField(max_length=20),
        default=list,
        db_default=Value([], output_field=ArrayField(models.CharField(max_length=20))),
        blank=True,
        help_text="What its paths touched: runtime, config, schema, infrastructure, docs, tests",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What the risk review filters and sorts on, copied from the rows that own it (risk assessment,
    # blast radius, provenance, the ledger, the service) so that one index walk of this table serves a
    # page. Database triggers keep the copies true on every write path, COPY and bulk upserts included,
    # and ignore whatever Django writes here (migration 0005); read them, never set them.
    risk_score = models.PositiveSmallIntegerField(null=True, editable=False)
    blast_score = models.FloatField(null=True, editable=False)
    service_tier = models.PositiveSmallIntegerField(null=True, editable=False)
    ai_level = models.CharField(max_length=20, default="unknown", editable=False)
    ai_share = models.DecimalField(max_digits=5, decimal_places=4, null=True, editable=False)
    approved = models.BooleanField(default=False, editable=False, help_text="An approval no entry revoked")
    last_decision = models.CharField(max_length=10, blank=True, editable=False)
    last_signer = models.CharField(max_length=200, blank=True, editable=False)
    # "Merged in the period, or still pending" as one range the indexes can walk (an OR with IS NULL
    # cannot be an index condition): the merge time, or the end of time while pending. It sorts as
    # merged_at does with pending changes first.
    review_at = models.GeneratedField(
        expression=Coalesce("merged_at", Value(PENDING)), output_field=models.DateTimeField(), db_persist=True
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "sha"], name="change_unique_service_sha")]
        indexes = [
            models.Index(fields=["sha"]),
            models.Index(fields=["repository", "pr_number"]),
            models.Index(fields=["-merged_at"]),
            # The review's sorts, each ending in the id so that pages never overlap. Each carries the
            # filter columns so that a walk checks them in the index, without reading the table.
            models.Index(
                F("risk_score").desc(nulls_last=True),
                F("review_at").desc(),
                F("id").desc(),
                name="change_review_risk",
                include=REVIEW_FILTERS,
            ),
            models.Index(
                F("blast_score").desc(nulls_last=True),
                F("id").desc(),
                name="change_review_blast",
                include=("review_at", "risk_score", *REVIEW_FILTERS),
            ),
            models.Index(
                F("ai_share").desc(nulls_last=True),
                F("id").desc(),
                name="change_review_ai",
                include=("review_at", "risk_score", *REVIEW_FILTERS),
            ),
            models.Index(
                F("review_at").desc(),
                F("id").desc(),
                name="change_review_recent",
                include=("risk_score", *REVIEW_FILTERS),
            ),
            # A service's last changes (the service page, the review filtered to one service).
            models.Index(F("service"), F("merged_at").desc(), F("id").desc(), name="change_service_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.service.slug}@{self.sha[:8]} {self.title}"

    @property
    def signoff_state(self) -> str:
        """signed (an approval in force), rejected or revoked (the last word), else unsigned."""
        if self.approved:
            return "signed"
        return {"reject": "rejected", "revoke": "revoked"}.get(self.last_decision, "unsigned")


class Commit(models.Model):
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=64)
    message = models.TextField(blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    author_email = models.CharField(max_length=254, blank=True)
    author_login = models.CharField(max_length=100, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["committed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["change", "sha"], name="commit_unique_change_sha")]
        indexes = [models.Index(fields=["sha"])]

    def __str__(self) -> str:
        return self.sha[:8]


class Environment(models.TextChoices):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"
    EPHEMERAL = "ephemeral"


class Deployment(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        IN_PROGRESS = "in_progress", "in progress"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        ROLLED_BACK = "rolled_back", "rolled back"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="deployments")
    environment = models.CharField(max_length=50, default=Environment.PRODUCTION)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments"
    )
    deployed_by_login = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=20, blank=True, help_text="github, cdevents, api, demo …")
    external_id = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    artifact_id = models.CharField(max_length=500, blank=True, help_text="A purl, from CDEvents")
    restores = models.BooleanField(
        default=False,
        db_default=False,  # the adapters' INSERT … ON CONFLICT statements name their columns
        help_text="A rollback's redeploy of a version that ran before: not a new change running",
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True, help_text="When a rollback undid it")

    class Meta:
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="deployment_unique_external",
            ),
        ]
        indexes = [models.Index(fields=["environment", "finished_at"]), models.Index(fields=["artifact_id"])]

    def __str__(self) -> str:
        return f"{self.change} → {self.environment} ({self.status})"
