"""Person and team pages in a real browser on the demo organisation: reached from a change, on a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_journeys import owners_generated_unsigned_change
from tests.browser.walk import axe_violations, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_is_one_click_from_a_change_and_their_team_page_fits_a_phone(page):
    change = owners_generated_unsigned_change()
    owner, team = change.service.owner_of_record, change.service.owner_team
    login(page, "manager")

    page.goto(f"/changes/{change.pk}/")
    page.locator(".page-head").get_by_role("link", name=owner.name, exact=True).click()

    expect(page).to_have_url(re.compile(rf"/people/{re.escape(owner.handle)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(owner.name)
    owns = page.locator("section", has=page.get_by_role("heading", name="Owns"))
    expect(owns.get_by_role("link", name=change.service.name, exact=True)).to_be_visible()
    # The change came from My sign-offs' queue: it waits for its owner, so their page lists it too.
    expect(page.locator("#waiting-h + div").locator(f'a[href="/changes/{change.pk}/"]')).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    owns.get_by_role("link", name=team.name, exact=True).first.click()

    expect(page).to_have_url(re.compile(rf"/teams/{re.escape(team.slug)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(team.name)
    expect(page.locator("#members-h + ul").get_by_role("link", name=owner.name, exact=True)).to_be_visible()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
