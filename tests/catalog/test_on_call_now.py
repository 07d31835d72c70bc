"""Who holds a pager now: one rule (catalog/selectors.py on_call_now_by_team) for a team's page and a person's
search result alike."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.catalog.selectors import on_call_now_by_team
from tests.factories import OnCallShiftFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota():
    now = timezone.now()
    payments, search = TeamFactory(name="Payments"), TeamFactory(name="Search")
    ann, bob, cy = PersonFactory(name="Ann"), PersonFactory(name="Bob"), PersonFactory(name="Cy")
    # Bob is the secondary, Ann the primary: the primary is named first whatever was written first.
    OnCallShiftFactory(team=payments, person=bob, escalation_level=2, start=now - timedelta(hours=2))
    OnCallShiftFactory(team=payments, person=ann, escalation_level=1, start=now - timedelta(hours=1))
    OnCallShiftFactory(team=search, person=ann, escalation_level=1, start=now - timedelta(hours=3))
    # Over, and not begun yet: neither holds a pager now.
    OnCallShiftFactory(team=search, person=cy, start=now - timedelta(days=2), end=now - timedelta(seconds=1))
    OnCallShiftFactory(team=search, person=bob, start=now + timedelta(minutes=5))
    return payments, search, ann, bob, cy


def test_for_teams_it_gives_the_people_holding_each_pager_primary_first(rota):
    payments, search, *_ = rota

    on_call = on_call_now_by_team(team_ids={payments.pk, search.pk})

    # People, so a page can link each to their page; they read as their names.
    assert {team: [str(person) for person in people] for team, people in on_call.items()} == {
        payments.pk: ["Ann", "Bob"],
        search.pk: ["Ann"],
    }


def test_for_people_it_names_the_teams_whose_pager_each_holds(rota):
    *_, ann, bob, cy = rota

    held = on_call_now_by_team(person_ids={ann.pk, bob.pk, cy.pk})

    assert held[ann.pk] == ["Search", "Payments"]  # both primary: the longer-held shift first
    assert held[bob.pk] == ["Payments"]
    assert cy.pk not in held


def test_nothing_asked_is_nothing_answered_without_a_query(rota, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert on_call_now_by_team(team_ids=set()) == {}
        assert on_call_now_by_team(person_ids=set()) == {}
