from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from accountability.audit.models import AuditEvent


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: Any = None,
    detail: dict | None = None,
    ip_address: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event. `obj` is any model instance (or None)."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "anonymous"),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        ip_address=ip_address,
    )
