"""A person marked departed in the catalog loses their sessions and API tokens at once; history stays."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from accountability.changes.models import SignOff
from tests.factories import (
    TEST_PASSWORD,
    ApiTokenFactory,
    ChangeFactory,
    PersonFactory,
    SignOffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def olga(client):
    user = UserFactory(username="olga")
    person = PersonFactory(name="Olga Owner", user=user)
    client.post("/login/", {"username": "olga", "password": TEST_PASSWORD})
    assert client.get("/").status_code == 200
    return person


def test_marking_a_person_departed_ends_their_sessions_and_revokes_their_tokens(client, olga):
    mine = ApiTokenFactory(created_by=olga.user)
    someone_elses = ApiTokenFactory(created_by=UserFactory())
    signoff = SignOffFactory(signer=olga, change=ChangeFactory())

    olga.is_active = False
    olga.departed_at = timezone.now()
    olga.save()

    assert client.get("/").status_code == 302
    assert not Session.objects.exists()
    mine.refresh_from_db()
    someone_elses.refresh_from_db()
    assert mine.revoked_at is not None
    assert someone_elses.revoked_at is None
    assert SignOff.objects.filter(pk=signoff.pk).exists()


def test_a_departure_dated_in_the_future_changes_nothing_yet(client, olga):
    olga.departed_at = timezone.now() + timedelta(days=7)
    olga.save()

    assert client.get("/").status_code == 200


def test_the_sessions_of_other_people_stay(client, olga, django_user_model):
    other = UserFactory(username="bob")
    PersonFactory(name="Bob", user=other)
    from django.test import Client

    bob = Client()
    bob.post("/login/", {"username": "bob", "password": TEST_PASSWORD})

    olga.is_active = False
    olga.save()

    assert bob.get("/").status_code == 200
    assert client.get("/").status_code == 302
