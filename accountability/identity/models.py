from django.conf import settings
from django.db import models


class ProviderIdentity(models.Model):
    """The provider's account (issuer + subject) a user signed in with: later logins find the user by it, not
    by an e-mail address that the provider may let someone change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="provideridentity_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class SignedInSession(models.Model):
    """A session a user signed in with, so that ending their access can delete every one of them at once
    (Django's session table cannot be searched by user)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of {self.user_id}"
