"""Each user's job, end to end in a real browser on the demo organisation."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accountability.analysis.models import Gap
from accountability.changes.models import Change, SignOff
from accountability.incidents.models import Incident, SuspectChange
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def owners_generated_unsigned_change() -> Change:
    """The demo owner's AI-generated tier-1 change waiting for their signature (seed_demo plants it)."""
    return (
        Change.objects.filter(
            service__owner_of_record__user__username="owner",
            service__tier=1,
            provenance__level="generated",
            signoffs__isnull=True,
            merged_at__gte=timezone.now() - timedelta(days=1),
        )
        .order_by("-merged_at")
        .first()
    )


def test_the_manager_filters_to_an_unsigned_ai_generated_tier_1_change_and_acknowledges_a_gap(page):
    target = owners_generated_unsigned_change()
    login(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Risk review").click()

    page.get_by_label("Tier").select_option("1")
    expect(page).to_have_url(re.compile(r"tier=1"))
    page.get_by_label("AI level").select_option("generated")
    expect(page).to_have_url(re.compile(r"ai_level=generated"))
    page.get_by_label("Sign-off").select_option("unsigned")
    expect(page).to_have_url(re.compile(r"tier=1.*ai_level=generated.*signoff=unsigned"))

    table = page.locator("#review-table")
    expect(table.locator(f'a[href="/changes/{target.pk}/"]')).to_be_visible()
    rows = table.locator("tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        expect(row.locator(".ai")).to_contain_text("generated")
        expect(row.locator(".tier")).to_have_text("T1")
        # "unsigned" filters on "not signed": a revoked or rejected sign-off is not a signature either.
        expect(row.locator("td").nth(6).locator(".badge")).to_have_text(
            re.compile(r"^(unsigned|revoked|rejected)$")
        )

    # The filters live in the URL: back returns to the previous filter set, and the link is shareable.
    shared = page.url
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"signoff=unsigned"))
    page.goto(shared)
    expect(page.get_by_label("Sign-off")).to_have_value("unsigned")

    page.get_by_role("link", name="Gaps by team").click()
    page.get_by_role("link", name="Payments", exact=True).click()
    expect(page).to_have_url(re.compile(r"team=payments"))
    gap_card = page.locator("#drilldown .gap:not(.acknowledged)").first
    gap_id = int(gap_card.get_attribute("id").removeprefix("gap-"))
    gap_card.get_by_label("Acknowledge with a note").fill("Owner is on it; fix lands Thursday.")
    gap_card.get_by_role("button", name="Acknowledge").click()

    gap = Gap.objects.select_related("acknowledged_by_person").get(pk=gap_id)
    # Credited to the person the manager's login is (the demo links them), the login beside it.
    expect(page.locator(f"#gap-{gap_id}")).to_contain_text(
        f"Acknowledged by {gap.acknowledged_by_person.name} (login manager)"
    )
    assert gap.acknowledgement_note == "Owner is on it; fix lands Thursday."
    assert gap.resolved_at is None


def test_the_owner_sees_the_blast_radius_and_signs_with_an_override_reason(page):
    target = owners_generated_unsigned_change()
    login(page, "owner")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My sign-offs").click()
    page.locator(f'a[href="/changes/{target.pk}/"]').click()

    expect(page.get_by_role("heading", name="Blast radius: what breaks if I'm wrong")).to_be_visible()
    expect(page.locator(".graph svg .node.changed")).to_contain_text("Payments API")
    expect(page.locator(".graph svg .node")).not_to_have_count(1)
    expect(page.locator("#sign")).to_contain_text("deny")
    risk_before = page.locator(".head-badges .risk").inner_text()

    # Sent with nothing ticked: the errors are summarised at the top of the form, which has the focus.
    page.locator("form.signoff").get_by_role("button", name="Sign").click()
    expect(page).to_have_url(re.compile(r"/sign/#sign-errors$"))
    summary = page.locator("#sign-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was signed")
    expect(summary.get_by_role("link", name="I read the AI-written parts")).to_be_visible()

    form = page.locator("form.signoff")
    form.get_by_label("Approve", exact=True).check()
    form.get_by_label("I read the AI-written parts").check()
    form.get_by_label("I understood the blast radius").check()
    form.get_by_label("The rollback is ready").check()
    form.get_by_label("I or my named delegate am on call through the bake window").check()
    form.get_by_label("Override reason").fill("Payment searches time out in production; a canary follows.")
    form.get_by_role("button", name="Sign").click()

    expect(page.locator(".messages")).to_contain_text("is in the ledger")
    expect(page.locator(".head-badges")).to_contain_text("signed by Noah Alvarez")
    expect(page.locator(".history")).to_contain_text("Override: Payment searches time out")
    expect(page.get_by_text("ledger verified")).to_be_visible()
    # The page agrees with the decision at once: no "unsigned" risk factor, recomputed risk, no second form.
    expect(page.locator(".reasons")).not_to_contain_text("not signed off")
    assert int(page.locator(".head-badges .risk").inner_text().split()[-1]) < int(risk_before.split()[-1])
    expect(page.locator("form.signoff")).to_have_count(0)
    expect(page.locator("#sign")).to_contain_text("You approved this change")
    expect(page.locator("#sign").get_by_role("button", name="Revoke")).to_be_visible()
    entry = SignOff.objects.get(change=target)
    assert (entry.signer.name, entry.decision, entry.policy_decision) == ("Noah Alvarez", "approve", "deny")
    assert entry.override_reason == "Payment searches time out in production; a canary follows."


def test_the_commander_finds_the_service_by_a_path_and_confirms_the_top_suspect(page):
    incident = Incident.objects.filter(resolved_at__isnull=True, suspects__isnull=False).distinct().first()
    service = incident.services.exclude(repositories=[]).first()
    login(page, "commander")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Who owns what").click()

    page.get_by_label("Service, repository, path, team, person or PagerDuty id").fill(
        f"{service.repositories[0]}:src/handlers/health.py"
    )
    results = page.locator("#results")
    expect(results).to_contain_text("Owned by")
    results.get_by_role("link", name=service.name).first.click()

    expect(page.get_by_role("heading", name="On call")).to_be_visible()
    # By its address: the demo, like a real pager history, may hold two open incidents with one title.
    page.locator(f'a[href="/incidents/{incident.pk}/"]', has_text=incident.title).first.click()

    top = page.locator(".suspect").first
    expect(top.locator(".rank")).to_have_text("#1")
    expect(top.get_by_role("button", name="Copy steps")).to_be_visible()
    top.get_by_label("Note").fill("Rolled back; error rate recovered.")
    top.get_by_role("button", name="Confirm cause").click()

    # Asked once; nothing is recorded until the commander says yes.
    expect(top).to_contain_text("Confirm that this change caused the incident?")
    assert SuspectChange.objects.get(incident=incident, rank=1).verdict == "none"
    top.get_by_role("button", name="Yes, confirm cause").click()

    expect(page.locator("#suspects [role=status]")).to_contain_text("is confirmed as the cause")
    commander = SuspectChange.objects.get(incident=incident, rank=1).verdict_by.person.name
    top = page.locator(".suspect").first
    expect(top).to_contain_text(f"Confirmed cause by {commander}")
    expect(page.locator(".timeline")).to_contain_text("cause confirmed")
    suspect = SuspectChange.objects.get(incident=incident, rank=1)
    assert suspect.verdict == "confirmed"
    assert suspect.verdict_by.username == "commander"

    # The change's page links back to the incident it caused.
    page.goto(f"/changes/{suspect.change_id}/")
    cause = page.locator("p.callout", has_text="Confirmed cause of").filter(has_text=incident.title)
    expect(cause).to_be_visible()
    cause.get_by_role("link", name=incident.title).click()

    # Undo: the suspect is open again and the timeline says so.
    page.locator(".suspect").first.get_by_role("button", name=re.compile("^Undo")).click()
    expect(page.locator("#suspects [role=status]")).to_contain_text("is open again")
    expect(page.locator(".timeline")).to_contain_text("verdict undone")
    suspect.refresh_from_db()
    assert suspect.verdict == "none"
