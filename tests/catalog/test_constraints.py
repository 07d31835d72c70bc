"""The database itself refuses what the catalog's uniqueness and validity rules forbid."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from accountability.catalog.models import Person
from tests.factories import (
    DependencyFactory,
    MembershipFactory,
    OnCallShiftFactory,
    PathOwnerFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
    return True


def test_it_refuses_a_second_team_with_the_same_slug():
    TeamFactory(slug="payments")
    assert refused(TeamFactory, slug="payments")


def test_it_refuses_a_second_person_with_the_same_email_in_any_case():
    PersonFactory(email="ada@example.com")
    assert refused(PersonFactory, email="Ada@Example.com")


def test_it_allows_many_people_without_an_email():
    PersonFactory(email="", github_login="")
    PersonFactory(email="", github_login="")
    assert Person.objects.filter(email="").count() == 2


def test_it_refuses_a_github_login_claimed_by_two_people():
    PersonFactory(github_login="octocat")
    assert refused(PersonFactory, github_login="OctoCat")


def test_it_refuses_a_pagerduty_user_claimed_by_two_people():
    PersonFactory(pagerduty_user_id="PXPGF42")
    assert refused(PersonFactory, pagerduty_user_id="PXPGF42")


def test_it_refuses_a_duplicate_membership():
    membership = MembershipFactory()
    assert refused(MembershipFactory, person=membership.person, team=membership.team)


def test_it_refuses_a_second_service_with_the_same_slug_or_pagerduty_id():
    ServiceFactory(slug="checkout", pagerduty_service_id="PIJ90N7")
    assert refused(ServiceFactory, slug="checkout")
    assert refused(ServiceFactory, pagerduty_service_id="PIJ90N7")


@pytest.mark.parametrize("tier", [0, 5])
def test_it_refuses_a_tier_outside_1_to_4(tier):
    assert refused(ServiceFactory, tier=tier)


def test_it_refuses_the_same_dependency_edge_twice():
    edge = DependencyFactory()
    assert refused(DependencyFactory, from_service=edge.from_service, to_service=edge.to_service)


def test_it_refuses_a_shift_that_ends_before_it_starts():
    shift = OnCallShiftFactory.build()
    assert refused(OnCallShiftFactory, start=shift.start, end=shift.start - timedelta(minutes=1))


def test_it_refuses_the_same_on_call_slot_imported_twice():
    shift = OnCallShiftFactory(schedule_id="PSCHED1")
    assert refused(
        OnCallShiftFactory, person=shift.person, team=shift.team, schedule_id="PSCHED1", start=shift.start
    )


def test_it_refuses_two_codeowners_rules_on_the_same_line():
    PathOwnerFactory(repository="acme/api", line=3)
    assert refused(PathOwnerFactory, repository="acme/api", line=3)
