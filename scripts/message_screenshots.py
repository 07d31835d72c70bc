"""Screenshots of each message the product sends (docs/screenshots/message-*.png), for the README.

The messages are the real ones: the triggers run on the demo organisation inside a transaction that is
rolled back (nothing is sent or kept), and each is drawn as the admin's outbox shows it. Run with the
environment of a database holding the demo organisation (`make run` has one), for instance:

    DATABASE_URL=postgres://... .venv/bin/python scripts/message_screenshots.py
"""

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")
django.setup()

from django.conf import settings  # noqa: E402 - after django.setup()
from django.db import transaction  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from accountability.analysis.digest import weekly_digest_send  # noqa: E402
from accountability.analysis.models import Gap  # noqa: E402
from accountability.changes.models import Change  # noqa: E402
from accountability.gate.decisions import gate_evaluate  # noqa: E402
from accountability.incidents.models import Incident  # noqa: E402
from accountability.notify.models import Notification  # noqa: E402
from accountability.notify.preview import notification_preview  # noqa: E402
from accountability.notify.triggers import incident_notify, new_gaps_notify, signoff_needed_notify  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WANTED = {
    "message-signoff-needed-email": ("signoff_needed", "email"),
    "message-signoff-needed-slack": ("signoff_needed", "slack"),
    "message-incident-slack": ("incident", "slack"),
    "message-new-gaps-slack": ("gap", "slack"),
    "message-weekly-digest-email": ("digest", "email"),
}


class Rollback(Exception):
    pass


def messages() -> dict[str, str]:
    """The HTML preview of each wanted message, made by the real triggers and rolled back."""
    settings.SLACK_BOT_TOKEN = settings.SLACK_BOT_TOKEN or "xoxb-preview"  # so the Slack messages are made
    previews = {}
    try:
        with transaction.atomic():
            for change in Change.objects.filter(approved=False, service__tier=1).order_by("-risk_score")[:20]:
                decision = gate_evaluate(
                    service_slug=change.service.slug, sha=change.sha, environment="production"
                )
                if signoff_needed_notify(change=change, environment="production", controls=decision.controls):
                    break
            incident = Incident.objects.filter(suspects__isnull=False).exclude(status="resolved").first()
            if incident is not None:
                incident_notify(incident=incident)
            new_gaps_notify(gaps=list(Gap.objects.filter(severity="high", resolved_at__isnull=True)[:8]))
            weekly_digest_send()
            for name, (trigger, channel) in WANTED.items():
                notification = Notification.objects.filter(trigger=trigger, channel=channel).first()
                if notification is not None:
                    previews[name] = notification_preview(notification)
            raise Rollback
    except Rollback:
        pass
    return previews


def main() -> None:
    previews = messages()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 760, "height": 600}, device_scale_factor=1)
        for name, html in previews.items():
            page.set_content(f'<body style="margin:0;padding:16px;background:#f6f6f6">{html}</body>')
            page.locator(".message-preview").screenshot(path=str(OUT / f"{name}.png"))
            print(f"wrote docs/screenshots/{name}.png")
        browser.close()
    missing = set(WANTED) - set(previews)
    if missing:
        print(f"the demo organisation made no {', '.join(sorted(missing))}", file=sys.stderr)


if __name__ == "__main__":
    main()
