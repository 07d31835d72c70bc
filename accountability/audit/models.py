from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what, when, from where: one row per user action or admin change."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True, help_text="User name or API token name")
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )


class LedgerCheckpoint(models.Model):
    """The signed head of the sign-off ledger after one append (DESIGN §4, §15), kept outside its table.

    The hash chain proves that entries fit together, not that none were removed from the end or that the
    whole chain was not recomputed: whoever can write the table can do either. A checkpoint signs
    (entry id, entries so far, entry hash) with LEDGER_CHECKPOINT_KEY, which the database never holds, so
    `verify_ledger` can tell a deleted tail, a re-chained history or an emptied table from the real one.
    Each checkpoint is also written to the audit log and served at GET /api/v1/ledger/checkpoint for a
    monitor to keep its own copy.
    """

    entry_id = models.BigIntegerField(help_text="The newest sign-off when it was written")
    entries = models.PositiveBigIntegerField(help_text="Sign-offs up to and including it")
    entry_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64, help_text="HMAC-SHA256 with LEDGER_CHECKPOINT_KEY")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"ledger checkpoint #{self.entry_id} ({self.entries} entries)"
