"""A provider sign-in finds its user, or links a first one to the catalog Person; roles follow the groups."""

import pytest

from accountability.identity.models import ProviderIdentity
from accountability.identity.services import LoginRefused, provider_user, user_roles_sync
from tests.factories import PersonFactory, ProviderIdentityFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

ISSUER = "https://login.example.com"


def claims(**overrides) -> dict:
    return {"sub": "s-ada", "email": "Ada@Example.com", "email_verified": True} | overrides


def test_a_first_sign_in_links_a_new_user_to_the_person_with_that_verified_email():
    ada = PersonFactory(email="ada@example.com")

    user = provider_user(issuer=ISSUER, claims=claims())

    ada.refresh_from_db()
    assert ada.user == user
    assert not user.has_usable_password()
    assert ProviderIdentity.objects.get(issuer=ISSUER, subject="s-ada").user == user


def test_an_unverified_email_links_nobody(django_user_model):
    PersonFactory(email="ada@example.com")

    with pytest.raises(LoginRefused, match="nobody in the catalog"):
        provider_user(issuer=ISSUER, claims=claims(email_verified=False))
    assert not django_user_model.objects.exists()


def test_the_configured_claim_links_by_github_login(settings):
    settings.OIDC_GITHUB_LOGIN_CLAIM = "github"
    ada = PersonFactory(email="", github_login="ada-l")

    user = provider_user(issuer=ISSUER, claims=claims(email="other@example.com", github="Ada-L"))

    ada.refresh_from_db()
    assert ada.user == user


def test_a_person_who_already_has_an_account_keeps_it():
    existing = UserFactory(username="ada")
    PersonFactory(email="ada@example.com", user=existing)

    assert provider_user(issuer=ISSUER, claims=claims()) == existing


def test_later_sign_ins_find_the_user_by_subject_even_with_a_changed_email():
    ada = PersonFactory(email="ada@example.com")
    first = provider_user(issuer=ISSUER, claims=claims())

    assert provider_user(issuer=ISSUER, claims=claims(email="lovelace@example.com")) == first
    ada.refresh_from_db()
    assert ada.user == first


def test_a_departed_person_is_refused_at_first_and_later_sign_ins():
    PersonFactory(email="ada@example.com", is_active=False)
    with pytest.raises(LoginRefused, match="departed"):
        provider_user(issuer=ISSUER, claims=claims())

    identity = ProviderIdentityFactory(issuer=ISSUER, subject="s-bob")
    PersonFactory(email="bob@example.com", user=identity.user, is_active=False)
    with pytest.raises(LoginRefused, match="departed"):
        provider_user(issuer=ISSUER, claims=claims(sub="s-bob", email="bob@example.com"))


def test_roles_follow_the_groups_both_ways(settings):
    user = user_with_role("commander", username="ada")

    user_roles_sync(user=user, claims={"groups": ["accountability-owners", "accountability-admins"]})
    assert set(user.groups.values_list("name", flat=True)) == {"viewer", "owner", "admin"}
    assert user.is_staff

    user_roles_sync(user=user, claims={"groups": []})
    assert set(user.groups.values_list("name", flat=True)) == {"viewer"}
    assert not user.is_staff


def test_without_a_roles_claim_the_admins_keep_deciding(settings):
    settings.OIDC_ROLES_CLAIM = ""
    user = user_with_role("owner", username="ada")

    user_roles_sync(user=user, claims={"groups": []})

    assert set(user.groups.values_list("name", flat=True)) == {"owner"}
