"""What vouches for a change: its evidence, its rollback plan and the sign-off ledger."""

from django.db import models
from django.db.models import Q

from accountability.catalog.models import Person, Service
from accountability.changes.models.change import Change


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
