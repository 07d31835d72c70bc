"""User actions that Django itself performs, written to the audit log like the dashboard's own.

The dashboard's actions (sign-off, verdicts, acknowledgements) call `audit_record` in their domain
functions; sign-ins and the Django admin's edits happen inside Django, so they are recorded here.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from accountability.audit.http import client_ip
from accountability.audit.services import audit_record

ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", ip_address=client_ip(request))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", ip_address=client_ip(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # The password is never in `credentials` (Django cleanses it); the username says who was tried.
    username = str(credentials.get("username", ""))[:150]
    audit_record(actor=None, action="auth.login_failed", actor_label=username, ip_address=client_ip(request))


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs):
    """One audit event per object edited in the Django admin (the admin writes a LogEntry for each)."""
    if not created:
        return
    audit_record(
        actor=instance.user,
        action=ADMIN_ACTIONS.get(instance.action_flag, "admin.action"),
        detail={
            "model": f"{instance.content_type.app_label}.{instance.content_type.model}"
            if instance.content_type_id
            else "",
            "object_id": str(instance.object_id or ""),
            "object": instance.object_repr,
            "change": instance.get_change_message(),
        },
    )
