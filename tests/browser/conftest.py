"""Headless Chromium (the system's, driven by Playwright) against pytest-django's live server."""

import os

import pytest
from django.conf import settings
from django.core.management import call_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make there
# are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(transactional_db):
    """The demo organisation, seeded and analysed as `make run` does."""
    call_command("seed_demo", verbosity=0)
    call_command("analyze", "--all", verbosity=0)


# A form sent with errors is answered 400 with the form and its error summary: Chromium logs that
# answer as a failed resource, which is the page working as intended, not a script error.
EXPECTED_CONSOLE = "Failed to load resource: the server responded with a status of 400"


def _is_error(message) -> bool:
    return message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE)


@pytest.fixture
def page(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    # The demo organisation on a shared two-core machine: a login can take more than 10 s under load.
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if _is_error(message) else None)
    yield page
    context.close()
    # A Content Security Policy violation or a script error would show up here.
    assert errors == []


def login(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
