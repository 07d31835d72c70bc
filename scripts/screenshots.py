"""Screenshots of the dashboard pages at 1440x900 and, for a phone, 390x844 into docs/screenshots/.

Run against a server holding the demo organisation (`make run`, or `manage.py seed_demo` + `analyze`):

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000

It logs in as the demo users (password settings.DEMO_PASSWORD, default "accountability-demo").
"""

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def login(page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


def shoot(page, name: str, *, full_page: bool = False) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(OUT.parent.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "accountability-demo"))
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{base}/login/")
        shoot(page, "01-login")

        login(page, base, "manager", args.password)
        shoot(page, "02-overview")
        page.goto(f"{base}/review/?ai_level=generated&signoff=unsigned&tier=1")
        shoot(page, "03-risk-review-filtered")
        page.goto(f"{base}/review/")
        shoot(page, "04-risk-review")
        page.goto(f"{base}/review/gaps/")
        first_team = page.locator("#gaps-panel table tbody a").first
        first_team.click()
        page.wait_for_selector("#drilldown .gap")
        shoot(page, "05-gaps-by-team")
        page.goto(f"{base}/review/metrics/")
        shoot(page, "06-metrics-by-ai-level")
        page.evaluate("document.getElementById('trend-h').scrollIntoView()")
        shoot(page, "06b-metrics-weekly-trend")

        login(page, base, "owner", args.password)
        page.goto(f"{base}/my/signoffs/")
        shoot(page, "07-my-signoffs")
        page.locator("table.review tbody a").first.click()
        page.wait_for_selector("#br-h")
        shoot(page, "08-change-page")
        change_url = page.url.split("#")[0]
        page.goto(f"{change_url}#br-h")
        shoot(page, "09-change-blast-radius")
        page.goto(f"{change_url}#sign")
        shoot(page, "10-change-sign-off")

        login(page, base, "commander", args.password)
        page.goto(f"{base}/search/")
        page.get_by_label("Service, repository, path, team, person or PagerDuty id").fill(
            "acme/payments-api:migrations/0042_add_refunds.py"
        )
        page.wait_for_selector("#results section, #results table")
        shoot(page, "11-who-owns-what")
        page.goto(f"{base}/services/payments-api/")
        shoot(page, "12-service-page")
        page.goto(f"{base}/incidents/")
        shoot(page, "13-incidents")
        page.locator("table tbody a").first.click()
        page.wait_for_selector("#suspects")
        shoot(page, "14-incident-page")
        incident_url = page.url
        page.goto(f"{base}/services/payments-api/")
        page.locator(".kv").get_by_role("link").first.click()
        page.wait_for_selector("#owns-h")
        shoot(page, "15-person-page")
        page.goto(f"{base}/services/payments-api/")
        page.locator(".kv dd").nth(1).get_by_role("link").first.click()
        page.wait_for_selector("#members-h")
        shoot(page, "16-team-page")
        team_url = page.url

        # The commander's first look at 2 a.m. is often a phone.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(incident_url)
        shoot(page, "17-phone-incident-page")
        page.goto(team_url)
        shoot(page, "18-phone-team-page")
        login(page, base, "manager", args.password)
        page.goto(f"{base}/review/metrics/")
        page.evaluate("document.getElementById('trend-h').scrollIntoView()")
        shoot(page, "19-phone-metrics-trend")

        browser.close()


if __name__ == "__main__":
    main()
