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

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(scopes__contained_by=["read", "changes:write", "evidence:write", "gate"]),
                name="apitoken_known_scopes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
