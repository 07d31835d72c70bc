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


class Evidence(models.Model):
    class Kind(models.TextChoices):
        CI_TESTS = "ci_tests", "CI tests"
        HUMAN_REVIEW = "human_review", "human review"
        CANARY_ANALYSIS = "canary_analysis", "canary analysis"
        LOAD_TEST = "load_test", "load test"
        SECURITY_SCAN = "security_scan", "security scan"
        MANUAL_QA = "manual_qa", "manual QA"
        BUILD_PROVENANCE = "build_provenance", "build provenance"
        ROLLBACK_REHEARSAL = "rollback_rehearsal", "rollback rehearsal"

    class Result(models.TextChoices):
        PASSED = "passed"
        WARNED = "warned"
        FAILED = "failed"

    # The channels a human_review counts from (DESIGN §4 "trust"): the code host's webhook or pull job, or an
    # API token granted `reviews:attest`. A token with `evidence:write` alone writes source "api", which any
    # pipeline holds: its word that a review happened is recorded and shown, never counted.
    REVIEW_SOURCES = ("github", "api-attested")

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    url = models.URLField(max_length=500, blank=True)
    sha = models.CharField(max_length=64, blank=True, help_text="The commit the evidence is about")
    recorded_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_login = models.CharField(
        max_length=100, blank=True, help_text="Reviewer or recorder as the source named them"
    )
    source = models.CharField(max_length=50, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "kind", "source", "external_id"],
                condition=~Q(external_id=""),
                name="evidence_unique_external",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.result}"


class RollbackPlan(models.Model):
    """How to undo a change, or (with `service` set) a service's default plan that its changes inherit."""

    class Strategy(models.TextChoices):
        REDEPLOY_PREVIOUS = "redeploy_previous", "redeploy previous version"
        FEATURE_FLAG = "feature_flag", "turn off feature flag"
        REVERT_COMMIT = "revert_commit", "revert commit"
        DOWN_MIGRATION = "down_migration", "down-migration"
        FORWARD_FIX_ONLY = "forward_fix_only", "forward fix only"

    change = models.OneToOneField(
        Change, null=True, blank=True, on_delete=models.CASCADE, related_name="rollback_plan"
    )
    service = models.OneToOneField(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="default_rollback_plan"
    )
    strategy = models.CharField(max_length=30, choices=Strategy.choices)
    steps = models.TextField(blank=True)
    expected_minutes = models.PositiveIntegerField(null=True, blank=True)
    data_reversible = models.BooleanField(default=True)
    last_rehearsed_at = models.DateTimeField(null=True, blank=True)
    last_rehearsed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(change__isnull=False, service__isnull=True)
                | Q(change__isnull=True, service__isnull=False),
                name="rollbackplan_for_change_or_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_strategy_display()} ({'change' if self.change_id else 'service default'})"


class SignOff(models.Model):
    """An entry of the append-only, hash-chained sign-off ledger; a database trigger refuses UPDATE/DELETE."""

    class Decision(models.TextChoices):
        APPROVE = "approve"
        REJECT = "reject"
        REVOKE = "revoke"

    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="signoffs")
    signer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="signoffs")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    revokes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    read_ai_parts = models.BooleanField(default=False, verbose_name="I read the AI-written parts")
    understood_blast_radius = models.BooleanField(default=False, verbose_name="I understood the blast radius")
    rollback_ready = models.BooleanField(default=False, verbose_name="The rollback is ready")
    on_call_through_bake = models.BooleanField(
        default=False, verbose_name="I or my named delegate am on call through the bake window"
    )
    delegate = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    policy_decision = models.CharField(max_length=10, blank=True, help_text="allow / warn / deny when signed")
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    # How the signer proved who they were, and when (step-up at signing; accountability/identity).
    auth_method = models.CharField(max_length=20, blank=True, help_text="password / oidc")
    auth_at = models.DateTimeField(null=True, blank=True)
    auth_provider = models.CharField(max_length=300, blank=True, help_text="the OIDC issuer, or local")
    auth_amr = models.CharField(max_length=200, blank=True, help_text="the provider's amr claim")
    auth_acr = models.CharField(max_length=200, blank=True, help_text="the provider's acr claim")
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["hash"], name="signoff_unique_hash"),
            # A linear chain: each entry is the successor of exactly one predecessor.
            models.UniqueConstraint(fields=["prev_hash"], name="signoff_unique_prev_hash"),
        ]
        indexes = [models.Index(fields=["change", "id"])]

    def __str__(self) -> str:
        return f"{self.decision} by {self.signer} on {self.change_id}"


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
