"""Who a provider's sign-in is, what roles it gives, and ending a person's access."""

import logging
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.utils import timezone

from accountability.api.models import ApiToken
from accountability.audit.services import audit_record
from accountability.catalog.models import Person
from accountability.identity.claims import ROLE_NAMES, roles_from_claims
from accountability.identity.models import ProviderIdentity, SignedInSession

logger = logging.getLogger(__name__)


class LoginRefused(Exception):
    """The provider vouched for someone this installation does not let in; the message says why to them."""


def person_departed(person: Person, *, now=None) -> bool:
    now = now or timezone.now()
    return not person.is_active or (person.departed_at is not None and person.departed_at <= now)


def _email_is_verified(claims: Mapping) -> bool:
    verified = claims.get("email_verified")
    return verified is True or str(verified).lower() == "true" or settings.OIDC_TRUST_UNVERIFIED_EMAIL


def person_for_claims(claims: Mapping) -> Person | None:
    """The catalog person a provider's claims name: by verified e-mail, else by the GitHub login claim."""
    email = str(claims.get("email") or "").strip()
    if email and _email_is_verified(claims):
        person = Person.objects.filter(email__iexact=email).first()
        if person is not None:
            return person
    claim = settings.OIDC_GITHUB_LOGIN_CLAIM
    login = str(claims.get(claim) or "").strip() if claim else ""
    if login:
        return Person.objects.filter(github_login__iexact=login).first()
    return None


def provider_user(*, issuer: str, claims: Mapping) -> AbstractBaseUser:
    """The user a provider's sign-in is: found by (issuer, subject), or created and linked to their Person
    on the first sign-in. Raises LoginRefused, creating nothing, for someone not (or no more) in the catalog.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise LoginRefused("The identity provider did not say who you are (no subject).")
    identity = ProviderIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        person = getattr(identity.user, "person", None)
        if person is None:
            raise LoginRefused("Your account is no longer linked to a person in the catalog.")
        if person_departed(person):
            raise LoginRefused(f"{person.name} is marked as departed in the catalog.")
        ProviderIdentity.objects.filter(pk=identity.pk).update(last_login_at=timezone.now())
        return identity.user
    person = person_for_claims(claims)
    if person is None:
        raise LoginRefused(
            "You signed in at the identity provider, but nobody in the catalog has your verified e-mail "
            "address or GitHub login, so there is no account for you here."
        )
    if person_departed(person):
        raise LoginRefused(f"{person.name} is marked as departed in the catalog.")
    with transaction.atomic():
        user = person.user
        if user is None:
            user = _user_create(claims=claims, subject=subject)
            person.user = user
            person.save(update_fields=["user"])
        ProviderIdentity.objects.create(
            user=user, issuer=issuer, subject=subject, last_login_at=timezone.now()
        )
        audit_record(actor=user, action="auth.linked", obj=person, detail={"issuer": issuer})
    return user


def _user_create(*, claims: Mapping, subject: str) -> AbstractBaseUser:
    users = get_user_model()
    base = str(claims.get("preferred_username") or claims.get("email") or subject)[:140]
    username, n = base, 1
    while users.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = users(username=username, email=str(claims.get("email") or ""))
    # Only the provider can vouch for this account: it has no password to guess.
    user.set_unusable_password()
    user.save()
    return user


def user_roles_sync(*, user: AbstractBaseUser, claims: Mapping) -> set[str]:
    """Give the user exactly the roles the provider's groups give (other Django groups are left alone).

    With OIDC_ROLES_CLAIM empty (a provider that sends no groups, like Google) roles are left to the admins.
    """
    if not settings.OIDC_ROLES_CLAIM:
        return set()
    roles = roles_from_claims(claims, claim=settings.OIDC_ROLES_CLAIM, role_groups=settings.OIDC_ROLE_GROUPS)
    current = set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
    if current != roles:
        user.groups.remove(*Group.objects.filter(name__in=current - roles))
        user.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in sorted(roles - current)])
        audit_record(
            actor=user,
            action="auth.roles",
            detail={"added": sorted(roles - current), "removed": sorted(current - roles)},
        )
    is_staff = "admin" in roles
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_accountability_roles", None)
    return roles


def session_remember(*, user: AbstractBaseUser, session_key: str | None) -> None:
    if session_key:
        SignedInSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        SignedInSession.objects.filter(session_key=session_key).delete()


def access_end(*, user: AbstractBaseUser, reason: str) -> tuple[int, int]:
    """End a user's access at once: every session they signed in with is deleted and every API token they
    created is revoked. Their past sign-offs stay in the ledger. Returns (sessions, tokens) ended."""
    keys = list(SignedInSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        SessionStore(session_key=key).delete()
    SignedInSession.objects.filter(user=user).delete()
    tokens = ApiToken.objects.filter(created_by=user, revoked_at__isnull=True)
    revoked = list(tokens.values_list("name", flat=True))
    tokens.update(revoked_at=timezone.now())
    if keys or revoked:
        audit_record(
            actor=None,
            actor_label="identity",
            action="auth.access_ended",
            obj=user,
            detail={"reason": reason, "sessions": len(keys), "tokens": revoked},
        )
        logger.info(
            "access ended for user %s (%s): %d sessions, %d tokens", user.pk, reason, len(keys), len(revoked)
        )
    return len(keys), len(revoked)
