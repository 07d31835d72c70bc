"""With JavaScript off, the same jobs still work: forms submit, links navigate, pages render whole."""

import re

import pytest
from playwright.sync_api import expect

from accountability.changes.models import SignOff
from tests.factories import (
    TEST_PASSWORD,
    AIProvenanceFactory,
    ChangeFactory,
    IncidentFactory,
    MembershipFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    SuspectChangeFactory,
    user_with_role,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login(page, username):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_it_filters_searches_and_signs_without_javascript(no_js_page):
    page = no_js_page
    owner = PersonFactory(name="Olga Owner")
    service = ServiceFactory(name="Payments API", slug="payments-api", tier=1, owner_of_record=owner)
    MembershipFactory(person=owner, team=service.owner_team)
    change = ChangeFactory(service=service, title="Generated retry logic")
    AIProvenanceFactory(change=change, level="generated")
    ChangeFactory(service=ServiceFactory(tier=3), title="Hand-written tweak")
    user_with_role("owner", person=owner)
    login(page, "owner")

    page.goto("/review/")
    page.get_by_label("AI level").select_option("generated")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/review/\?.*ai_level=generated"))
    expect(page.locator("#review-table")).to_contain_text("Generated retry logic")
    expect(page.locator("#review-table")).not_to_contain_text("Hand-written tweak")

    page.goto("/search/")
    page.get_by_label("Service, repository, path, team, person or PagerDuty id").fill("payments")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Payments API").first.click()
    expect(page.get_by_role("heading", name="On call")).to_be_visible()

    page.goto(f"/changes/{change.pk}/")
    # Nothing ticked: the reload lands on the error summary (the form's action carries its anchor).
    page.locator("form.signoff").get_by_role("button", name="Sign").click()
    expect(page).to_have_url(re.compile(r"#sign-errors$"))
    expect(page.locator("#sign-errors")).to_be_in_viewport()
    form = page.locator("form.signoff")
    form.get_by_label("Reject").check()
    form.get_by_label("Note (optional)").fill("Needs a human review first.")
    form.get_by_role("button", name="Sign").click()
    expect(page.locator(".messages")).to_contain_text("is in the ledger")
    assert SignOff.objects.get(change=change).decision == "reject"


def test_a_commander_confirms_a_cause_and_undoes_it_without_javascript(no_js_page):
    page = no_js_page
    incident = IncidentFactory(title="Checkout 5xx spike")
    change = ChangeFactory(title="Retry payments faster")
    RollbackPlanFactory(change=change, steps="kubectl rollout undo deploy/payments-api")
    suspect = SuspectChangeFactory(incident=incident, change=change, rank=1, score=40.0, reasons=[])
    user_with_role("commander", person=PersonFactory(name="Carla Commander"))
    login(page, "commander")

    page.goto(f"/incidents/{incident.pk}/")
    steps = page.locator(f"#suspect-steps-{suspect.pk}")
    expect(steps).to_have_text("kubectl rollout undo deploy/payments-api")
    page.get_by_role("button", name="Confirm cause").click()
    expect(page.get_by_text("Confirm that this change caused the incident?")).to_be_visible()
    suspect.refresh_from_db()
    assert suspect.verdict == "none"

    page.get_by_role("button", name="Yes, confirm cause").click()
    expect(page.locator(".messages")).to_contain_text("is confirmed as the cause")
    expect(page.locator(".suspect")).to_contain_text("Confirmed cause by Carla Commander")
    expect(page.locator(".timeline")).to_contain_text("cause confirmed")

    page.get_by_role("button", name=re.compile("^Undo")).click()
    expect(page.locator(".messages")).to_contain_text("is open again")
    suspect.refresh_from_db()
    assert suspect.verdict == "none"
