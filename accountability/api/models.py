from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A machine's credential for /api/v1/: only its sha256 is stored; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", "read"
        CHANGES_WRITE = "changes:write", "register changes"
        EVIDENCE_WRITE = "evidence:write", "attach evidence and rollback rehearsals"
        GATE = "gate", "ask the deploy gate"
        # Granted with evidence:write to a system that vouches for human reviews (a code host other than the
        # GitHub app): only then does a human_review it posts count for the policy.
        REVIEWS_ATTEST = "reviews:attest", "attest human reviews"

    name = models.CharField(
        max_length=100, unique=True, help_text="Who uses it, e.g. 'payments GitHub Actions'"
    )
    prefix = models.CharField(max_length=12, unique=True, help_text="Public part of the token, for lookup")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Empty both: the whole organisation. Otherwise the token writes (changes, evidence, provenance, the gate)
    # only for these services and the services these teams own (api/auth.py, token_writes_for).
    limit_teams = models.ManyToManyField(
        "catalog.Team", blank=True, related_name="+", help_text="Writes only for services these teams own"
    )
    limit_services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="+", help_text="Writes only for these services"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    scopes__contained_by=["read", "changes:write", "evidence:write", "gate", "reviews:attest"]
                ),
                name="apitoken_known_scopes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class GateDecision(models.Model):
    """One answer of the deploy gate (DESIGN §11), kept as given: the change page shows them."""

    class Outcome(models.TextChoices):
        ALLOW = "allow"
        WARN = "warn"
        DENY = "deny"

    change = models.ForeignKey(
        "changes.Change", null=True, blank=True, on_delete=models.CASCADE, related_name="gate_decisions"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="gate_decisions"
    )
    # What was asked, verbatim: an unknown service or sha is a decision too (a deny) that says what it denied.
    service_slug = models.CharField(max_length=200)
    sha = models.CharField(max_length=64)
    environment = models.CharField(max_length=50, help_text="The class the requested name was given")
    environment_requested = models.CharField(max_length=100, blank=True, help_text="The name as asked")
    environment_mapping = models.CharField(
        max_length=300, blank=True, help_text="Which mapping classified it (catalog/environments.py)"
    )
    decision = models.CharField(max_length=10, choices=Outcome.choices)
    # [{"code", "label", "level": "required"|"recommended", "passed", "sentence"}]
    controls = models.JSONField(default=list)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    requested_by_token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="gate_decisions"
    )
    requested_by = models.CharField(max_length=200, help_text="api:<token name> or github:<repository>")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["change", "-at"]), models.Index(fields=["service_slug", "sha"])]

    def __str__(self) -> str:
        return f"{self.decision} {self.service_slug}@{self.sha[:8]} → {self.environment}"


class ProtectionRuleRequest(models.Model):
    """A GitHub deployment waiting on our custom protection rule, until it is approved or given up on.

    A rejected request stays watched: when a sign-off or new evidence turns the gate into an allow, it is
    answered again (approved) while GitHub still waits for it.
    """

    class State(models.TextChoices):
        PENDING = "pending", "not answered yet"
        REJECTED = "rejected", "rejected, re-evaluated while GitHub waits"
        APPROVED = "approved"
        CLOSED = "closed", "closed (GitHub refused the answer, or expired)"

    WATCHED = (State.PENDING, State.REJECTED)

    installation_id = models.BigIntegerField(null=True, blank=True)
    repository = models.CharField(max_length=200)
    environment_name = models.CharField(
        max_length=255, help_text="GitHub's environment name, sent back as is"
    )
    environment = models.CharField(max_length=50, help_text="Our environment for it")
    sha = models.CharField(max_length=64)
    deployment_id = models.BigIntegerField(null=True, blank=True)
    callback_url = models.URLField(max_length=1000)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    last_decision = models.ForeignKey(
        GateDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.PositiveIntegerField(default=0, help_text="Answers GitHub accepted")
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # GitHub's redelivery of the same request must not open a second one.
            models.UniqueConstraint(
                fields=["callback_url", "environment_name"], name="protectionrule_unique_callback_env"
            ),
        ]
        indexes = [models.Index(fields=["state", "service", "sha"])]

    def __str__(self) -> str:
        return f"{self.repository}@{self.sha[:8]} → {self.environment_name} ({self.state})"
