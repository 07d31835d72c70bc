"""Sign-ins remember their session; a person marked departed in the catalog loses access at once."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from accountability.catalog.models import Person
from accountability.identity.services import access_end, person_departed, session_forget, session_remember
from accountability.identity.stepup import auth_record

OIDC_BACKEND = "accountability.identity.backends.OidcBackend"


@receiver(user_logged_in, dispatch_uid="identity_login")
def identity_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # A provider login records its own authentication (the callback, from the ID token's claims).
    if getattr(user, "backend", "") != OIDC_BACKEND:
        auth_record(request.session, method="password", at=time.time(), provider="local", amr=["pwd"])
    if request.session.session_key is None:
        request.session.save()
    session_remember(user=user, session_key=request.session.session_key)


@receiver(user_logged_out, dispatch_uid="identity_logout")
def identity_logout(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_forget(session_key=request.session.session_key)


@receiver(post_save, sender=Person, dispatch_uid="identity_person_departed")
def identity_person_departed(sender, instance: Person, **kwargs):
    if instance.user_id and person_departed(instance):
        access_end(user=instance.user, reason=f"{instance.name} departed")
