"""Every main page of the three users' journeys, at 390 px (a phone) and 1440 px: nothing scrolls sideways
and axe-core finds no violation (WCAG 2.1 A/AA, best practices), error, question and htmx states (a filter's
answer swapped in, a region waiting for one) included."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.walk import WIDTHS, axe_violations, horizontal_overflow, journey_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check(page, where: str, problems: list[str]) -> None:
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{where}: {overflow}px wider than the viewport")
    problems.extend(f"{where}: {line}" for line in axe_violations(page))


def _check_htmx_states(page, device: str, problems: list[str]) -> None:
    """A filter's answer swapped in, and the table while that answer is on its way (held back here)."""
    page.goto("/review/")
    page.get_by_label("Tier").select_option("1")
    expect(page).to_have_url(re.compile(r"tier=1"))
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    _check(page, f"{device} manager review filter swapped", problems)

    held = []

    def hold(route):  # answered only once the waiting state is checked
        held.append(route)

    waiting = re.compile(r".*/review/\?.*ai_level=generated.*")
    page.route(waiting, hold)
    page.get_by_label("AI level").select_option("generated")
    expect(page.locator("[aria-busy=true]")).to_have_count(1)
    _check(page, f"{device} manager review loading", problems)
    for route in held:
        route.continue_()
    page.unroute(waiting, hold)
    expect(page.locator("[aria-busy=true]")).to_have_count(0)

    page.goto("/review/metrics/")
    page.get_by_label("Period").select_option("30d")
    expect(page).to_have_url(re.compile(r"period=30d"))
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    _check(page, f"{device} manager metrics period swapped", problems)


def test_every_journey_page_fits_a_phone_and_a_desktop_without_axe_violations(page):
    # Some 40 page loads with axe on a shared two-core machine: allow each step more than the default.
    page.set_default_timeout(30_000)
    pages = journey_pages()
    problems: list[str] = []
    for user, paths in pages.items():
        page.context.clear_cookies()
        login(page, user)
        for device, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for path in paths:
                page.goto(path)
                _check(page, f"{device} {user} {path}", problems)

            if user == "manager":
                _check_htmx_states(page, device, problems)
            if user == "owner":
                # The sign-off form sent with nothing ticked: its error summary, focused.
                page.goto(pages["owner"][-1])
                page.locator("form.signoff").get_by_role("button", name="Sign").click()
                expect(page.locator("#sign-errors")).to_be_focused()
                _check(page, f"{device} owner sign-off errors", problems)
            if user == "commander":
                # The question a verdict asks once.
                page.goto(pages["commander"][-1])
                page.locator(".suspect").first.get_by_role("button", name="Rule out").click()
                expect(page.locator(".verdict.ask")).to_be_visible()
                _check(page, f"{device} commander verdict question", problems)
    assert problems == []
