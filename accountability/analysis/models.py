"""Stored results of the analysis jobs. Pages read these; nothing here is recomputed per page view.

Every result carries `computed_at` so a page can say how fresh it is.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accountability.catalog.models import Person, Service, Team
from accountability.changes.models import Change


class GraphVersion(models.Model):
    """A single row whose `version` a database trigger bumps on every write to the dependency graph.

    The in-memory graph of each process compares its version with this one (one tiny query) and
    rebuilds when they differ, whatever path the write took: ORM, bulk insert, admin or raw SQL.
    """

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"dependency graph v{self.version}"


class BlastRadius(models.Model):
    """What breaks if this change is wrong (DESIGN §8)."""

    change = models.OneToOneField(Change, on_delete=models.CASCADE, related_name="blast_radius")
    score = models.FloatField(help_text="Sum of the impacted services' weights")
    # Principle 2: a service nobody told us the dependencies of has an unknown radius, never a zero one.
    unknown = models.BooleanField(
        default=False, help_text="The changed service has no dependency data: the radius is unknown"
    )
    # [{"service_id", "slug", "name", "tier", "depth", "path": [slug, ...], "weight",
    #   "dependencies_known", "via_datastore"}], nearest first.
    impacted = models.JSONField(default=list)
    impacted_count = models.PositiveIntegerField(default=0)
    unknown_count = models.PositiveIntegerField(
        default=0, help_text="Impacted services whose own dependencies are unknown"
    )
    # [{"team_id", "slug", "name", "services": n}]
    teams = models.JSONField(default=list)
    # [{"person_id", "name", "team_id", "until"}] — on call when computed; pages may refresh it.
    on_call = models.JSONField(default=list)
    graph_version = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "blast radii"
        indexes = [models.Index(fields=["-score"])]

    def __str__(self) -> str:
        return f"blast radius of {self.change_id}: {self.score:.2f}"


class RiskAssessment(models.Model):
    """0 to 100, the sum of explained factors (DESIGN §10)."""

    change = models.OneToOneField(Change, on_delete=models.CASCADE, related_name="risk")
    score = models.PositiveSmallIntegerField()
    # [{"code", "points", "sentence"}], largest first.
    factors = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-score"])]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="risk_score_0_100")]

    def __str__(self) -> str:
        return f"risk of {self.change_id}: {self.score}"


class Policy(models.Model):
    """One version of the policy (DESIGN §7). Versions are never edited: a change is a new version.

    `rules` holds {"params": {...}, "controls": [{"code", "tiers": {"1": "required", ...},
    "ai_levels": {"3": [...]}, "environments": [...]}]}; see analysis/policy.py for the default.
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200, default="Default policy")
    rules = models.JSONField()
    is_active = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Why this version was made")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="policy_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}{' (active)' if self.is_active else ''}"


class Decision(models.TextChoices):
    ALLOW = "allow"
    WARN = "warn"
    DENY = "deny"


class PolicyResult(models.Model):
    """The policy evaluated for one change and one environment."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="policy_results")
    environment = models.CharField(max_length=50)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    # [{"code", "label", "requirement": "required"|"recommended", "passed", "sentence"}]
    controls = models.JSONField(default=list)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="results")
    policy_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "environment"], name="policyresult_unique_change_env")
        ]
        indexes = [models.Index(fields=["environment", "decision"])]

    def __str__(self) -> str:
        return f"{self.change_id} in {self.environment}: {self.decision}"


class Gap(models.Model):
    """An ownership gap (DESIGN §9): opened, kept open and resolved by scans; acknowledged by people."""

    class Code(models.TextChoices):
        SERVICE_NO_OWNER = "SERVICE_NO_OWNER"
        OWNER_DEPARTED = "OWNER_DEPARTED"
        TEAM_NO_ONCALL = "TEAM_NO_ONCALL"
        UNSIGNED_PRODUCTION_CHANGE = "UNSIGNED_PRODUCTION_CHANGE"
        SIGNER_NOT_ACCOUNTABLE = "SIGNER_NOT_ACCOUNTABLE"
        AI_CHANGE_UNREVIEWED = "AI_CHANGE_UNREVIEWED"
        AI_CHANGE_UNVERIFIED = "AI_CHANGE_UNVERIFIED"
        NO_ROLLBACK_PLAN = "NO_ROLLBACK_PLAN"
        ROLLBACK_NEVER_REHEARSED = "ROLLBACK_NEVER_REHEARSED"
        POLICY_OVERRIDDEN = "POLICY_OVERRIDDEN"
        CODEOWNERS_DRIFT = "CODEOWNERS_DRIFT"
        OWNERSHIP_STALE = "OWNERSHIP_STALE"
        SINGLE_POINT_OF_OWNERSHIP = "SINGLE_POINT_OF_OWNERSHIP"
        UNCLAIMED_REPOSITORY = "UNCLAIMED_REPOSITORY"

    class Severity(models.TextChoices):
        HIGH = "high"
        MEDIUM = "medium"
        LOW = "low"

    code = models.CharField(max_length=40, choices=Code.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    # The subject: exactly the FKs that identify it are set (a change gap sets only `change`).
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="gaps")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="gaps")
    change = models.ForeignKey(Change, null=True, blank=True, on_delete=models.CASCADE, related_name="gaps")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="gaps")
    repository = models.CharField(
        max_length=200, blank=True, db_default="", help_text="owner/name, for a repository no service claims"
    )
    # The team the gap is counted against on "gaps by team" (the owning team of the subject), if any.
    accountable_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="accountable_gaps"
    )
    sentence = models.TextField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The person credited with the acknowledgement, as catalogued when it was made (accountability is a
    # person; the login may be unlinked or relinked later). Empty for a login linked to nobody.
    acknowledged_by_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        ordering = ["resolved_at", "-first_seen"]
        constraints = [
            # One open gap per code and subject; scans update it instead of adding another.
            models.UniqueConstraint(
                fields=["code", "service", "team", "change", "person", "repository"],
                condition=Q(resolved_at__isnull=True),
                nulls_distinct=False,
                name="gap_one_open_per_code_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["code", "resolved_at"]),
            models.Index(fields=["accountable_team", "resolved_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.sentence}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class MetricSnapshot(models.Model):
    """Delivery metrics (DESIGN §13) of one scope and period, split by AI level ("all" = every level)."""

    class Scope(models.TextChoices):
        ORGANISATION = "organisation"
        TEAM = "team"
        SERVICE = "service"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    ai_level = models.CharField(max_length=20, help_text='An AIProvenance level, or "all"')
    deployments = models.PositiveIntegerField(help_text="Production deployments that finished in the period")
    deploys_per_week = models.FloatField()
    lead_time_count = models.PositiveIntegerField(default=0)
    lead_time_median_hours = models.FloatField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    failure_rate = models.FloatField(null=True, blank=True, help_text="Empty when there is not enough data")
    failure_rate_low = models.FloatField(null=True, blank=True, help_text="95 % Wilson interval")
    failure_rate_high = models.FloatField(null=True, blank=True)
    restore_count = models.PositiveIntegerField(default=0)
    restore_median_hours = models.FloatField(null=True, blank=True)
    enough_data = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["scope", "period_start", "ai_level"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "team", "service", "period_start", "period_end", "ai_level"],
                nulls_distinct=False,
                name="metricsnapshot_unique_scope_period_level",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "period_start"]),
            models.Index(fields=["service", "period_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.period_start:%Y-%m-%d} {self.ai_level}: {self.deployments} deploys"
