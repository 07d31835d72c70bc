"""What AI wrote of a change and how we know: its provenance, the records it rests on, their history and
the registry's rules."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from accountability.catalog.models import Person
from accountability.changes.models.change import Change


class AIProvenance(models.Model):
    class Level(models.TextChoices):
        NONE = "none"
        ASSISTED = "assisted"
        MAJORITY = "majority"
        GENERATED = "generated"
        UNKNOWN = "unknown"

    class Confidence(models.TextChoices):
        LINE_LEVEL = "line_level", "line-level"
        ATTESTED = "attested"
        HEURISTIC = "heuristic"
        NONE = "none", "no signal"

    class SignalSource(models.TextChoices):
        AGENT_TRACE = "agent_trace", "Agent Trace record"
        GIT_AI_NOTE = "git_ai_note", "git-ai note"
        API_ATTESTATION = "api_attestation", "API attestation"
        TRAILER = "trailer", "commit trailer"
        MESSAGE = "message", "commit message"
        BOT_AUTHOR = "bot_author", "AI agent account"
        LABEL = "label", "PR label"

    change = models.OneToOneField(Change, on_delete=models.CASCADE, related_name="provenance")
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.UNKNOWN)
    ai_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Share of added lines; empty when unknown",
    )
    tools = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    ai_models = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    drivers = models.ManyToManyField(Person, blank=True, related_name="driven_changes")
    driver_logins = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    sources = ArrayField(
        models.CharField(max_length=30, choices=SignalSource.choices), default=list, blank=True
    )
    confidence = models.CharField(max_length=20, choices=Confidence.choices, default=Confidence.NONE)
    # {"path": [[start, end], ...]} of AI-written lines, where line-level data exists.
    ai_lines = models.JSONField(default=dict, blank=True)
    # Every registry rule that fired, strongest first: [{"signal", "agent", "tool", "rule", "source",
    # "detail", "model", "commit"}]; the change page shows them, so a verdict can always be traced.
    detections = models.JSONField(default=list, blank=True)
    registry_version = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI provenance"
        verbose_name_plural = "AI provenance"
        constraints = [
            models.CheckConstraint(
                condition=Q(ai_share__isnull=True) | Q(ai_share__gte=0, ai_share__lte=1),
                name="provenance_share_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.level}"


class ProvenanceRecord(models.Model):
    """A line-level or attested AI-provenance document, stored raw and re-read on every provenance refresh.

    Keyed by commit so that a git-ai note or an Agent Trace record may arrive before the change it belongs
    to exists; `provenance_refresh` finds it through the change's commit shas.
    """

    class Kind(models.TextChoices):
        GIT_AI_NOTE = "git_ai_note", "git-ai authorship note"
        AGENT_TRACE = "agent_trace", "Agent Trace record"
        API_ATTESTATION = "api_attestation", "API attestation"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    repository = models.CharField(max_length=200, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    change = models.ForeignKey(
        Change, null=True, blank=True, on_delete=models.CASCADE, related_name="provenance_records"
    )
    external_id = models.CharField(
        max_length=200, help_text="Record id (Agent Trace id, note commit, API delivery) for idempotency"
    )
    content = models.TextField(help_text="The document exactly as received (note text or JSON)")
    recorded_by = models.CharField(max_length=200, blank=True, help_text="Source or API token name")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "repository", "commit_sha", "external_id"], name="provenancerecord_unique"
            ),
        ]
        indexes = [models.Index(fields=["commit_sha"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.commit_sha[:8] or self.change_id}"


class ProvenanceHistory(models.Model):
    """A change's provenance as it was before a recomputation changed it (a new registry, a new record)."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="provenance_history")
    level = models.CharField(max_length=20)
    confidence = models.CharField(max_length=20)
    tools = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    ai_models = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    driver_logins = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    detections = models.JSONField(default=list, blank=True)
    registry_version = models.CharField(max_length=100, blank=True)
    valid_until = models.DateTimeField(help_text="When a recomputation replaced this verdict")
    replaced_by_version = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-valid_until", "-id"]
        verbose_name_plural = "provenance history"
        indexes = [models.Index(fields=["change", "-valid_until"])]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.level} until {self.valid_until:%Y-%m-%d %H:%M}"


class AgentRule(models.Model):
    """A registry rule an admin adds without a deploy; merged into the file's registry (registry.py)."""

    class Kind(models.TextChoices):
        LOGIN = "login"
        EMAIL = "email"
        EMAIL_RE = "email_re", "email (regular expression)"
        NAME = "name", "product-only display name"
        NAME_SUFFIX = "name_suffix", "display-name suffix"
        TRAILER = "trailer", "trailer (Key: value-regex)"
        MESSAGE = "message", "message line (regex)"
        SUBJECT = "subject", "subject prefix (regex)"
        LINK = "link", "link (regex)"
        ALIAS = "alias", "tool name"

    entry_id = models.CharField(max_length=100, help_text="An agent or automation id of agents.toml")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    match = models.CharField(max_length=300)
    source = models.CharField(max_length=500, help_text="Public documentation URL or owner/repo@sha")
    created_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry_id", "kind", "match"], name="agentrule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.kind}: {self.match}"
