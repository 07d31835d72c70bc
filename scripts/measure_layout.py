"""Each user's main pages in headless Chromium at 390 and 1440 px against a running server (`make run`):
how far each page scrolls sideways, and axe-core's violations. The browser tests assert the same walk.

    DATABASE_URL=... .venv/bin/python scripts/measure_layout.py http://127.0.0.1:8000
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.walk import WIDTHS, axe_violations, horizontal_overflow, journey_pages  # noqa: E402


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    pages = journey_pages()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for device, (width, height) in WIDTHS.items():
            for user, paths in pages.items():
                context = browser.new_context(viewport={"width": width, "height": height}, base_url=base)
                page = context.new_page()
                page.goto("/login/")
                page.get_by_label("Username").fill(user)
                page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url("**/")
                for path in paths:
                    page.goto(path)
                    overflow = horizontal_overflow(page)
                    violations = axe_violations(page)
                    print(f"{device:8} {user:10} {path:45} overflow {overflow:4}px  axe {len(violations)}")
                    for line in violations:
                        print(f"{'':20}{line}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
