"""Roles and every permission rule of the dashboard (and the API), in one place.

Roles come from Django groups named after them; a superuser is always an admin. A signed-in user in no
group reads like a viewer: every page is readable by anyone who can log in, and the roles decide who may
act. Rules answer with a `Verdict` whose reason is shown on the 403 page, so a refused person learns why.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from accountability.changes.models import Change


class Role(StrEnum):
    VIEWER = "viewer"
    OWNER = "owner"
    COMMANDER = "commander"
    ADMIN = "admin"


User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)


def user_roles(user: User) -> frozenset[Role]:
    """The roles of a user, read once per request (the groups are cached on the user object)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_accountability_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    roles = {role for role in Role if role.value in names}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    roles.add(Role.VIEWER)
    user._accountability_roles = frozenset(roles)
    return user._accountability_roles


def has_role(user: User, role: Role) -> bool:
    roles = user_roles(user)
    return role in roles or Role.ADMIN in roles


def can_view(user: User) -> Verdict:
    if not user.is_authenticated:
        return Verdict(False, "Log in to see the dashboard.")
    return ALLOWED


def can_acknowledge_gap(user: User) -> Verdict:
    # Acknowledging writes a note beside the gap (which stays visible) and is audited; a manager, who
    # reads as a viewer, is exactly who does it in the weekly review.
    return can_view(user)


def can_judge_suspect(user: User) -> Verdict:
    if has_role(user, Role.COMMANDER):
        return ALLOWED
    return Verdict(
        False,
        "Only an incident commander can confirm a cause or rule a suspect out: the verdict feeds the "
        "change-failure metrics, so it is reserved to the people running incidents.",
    )


def can_view_audit(user: User) -> Verdict:
    if has_role(user, Role.ADMIN):
        return ALLOWED
    return Verdict(False, "The audit log is visible to admins only.")


def can_sign_off(user: User, change: Change) -> Verdict:
    """Only a person can own a change: the service's owner of record or a member of its owning team.

    The Person behind the user is the signer; the owner or admin role alone does not make anybody
    accountable for another team's change.
    """
    if not (has_role(user, Role.OWNER)):
        return Verdict(False, "Signing off needs the owner role; ask an admin to add you to the owner group.")
    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is None:
        return Verdict(
            False,
            "Your login is not linked to a person in the catalog, and only a named person can own a change.",
        )
    if not person.is_active:
        return Verdict(False, f"{person.name} is marked as departed and can no longer own changes.")
    service = change.service
    if service.owner_of_record_id == person.id:
        return ALLOWED
    if service.owner_team_id and person.memberships.filter(team_id=service.owner_team_id).exists():
        return ALLOWED
    owners = []
    if service.owner_of_record_id:
        owners.append(f"its owner of record ({service.owner_of_record.name})")
    if service.owner_team_id:
        owners.append(f"a member of {service.owner_team.name}")
    who = " or ".join(owners) or "nobody (the service has no owner: that is a gap to fix first)"
    return Verdict(False, f"Only {who} can sign off changes to {service.name}; {person.name} is neither.")


def require(rule):
    """View decorator for rules that need only the user: refuses with the rule's reason as a 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            verdict = rule(request.user)
            if not verdict:
                raise PermissionDenied(verdict.reason)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def check(verdict: Verdict) -> None:
    """Raise the 403 of a refused object-level rule (the page shows the reason)."""
    if not verdict:
        raise PermissionDenied(verdict.reason)
