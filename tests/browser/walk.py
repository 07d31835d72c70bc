"""The three users' main pages at a phone's and a desktop's width: no sideways scroll, no axe violation.

Shared by the browser tests and by scripts/measure_layout.py (which runs it against `make run`).
"""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}

# axe's rules for the WCAG 2.1 A and AA success criteria, plus its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def journey_pages() -> dict[str, list[str]]:
    """Each user's main pages on the demo organisation, as paths."""
    from accountability.catalog.models import Service
    from accountability.changes.models import Change
    from accountability.incidents.models import Incident

    change = (
        Change.objects.filter(service__owner_of_record__user__username="owner", signoffs__isnull=True)
        .order_by("-merged_at")
        .first()
    )
    incident = (
        Incident.objects.filter(resolved_at__isnull=True, suspects__verdict="none")
        .order_by("-started_at")
        .first()
    )
    service = Service.objects.exclude(repositories=[]).order_by("tier", "slug").first()
    team = service.owner_team.slug if service.owner_team_id else ""
    return {
        "manager": [
            "/",
            "/review/",
            "/review/?tier=1&ai_level=generated",
            f"/review/gaps/?team={team}",
            "/review/metrics/",
            f"/changes/{change.pk}/",
        ],
        "owner": ["/my/signoffs/", f"/changes/{change.pk}/"],
        "commander": [
            "/search/",
            f"/search/?q={service.slug}",
            f"/services/{service.slug}/",
            f"/teams/{team}/",
            f"/people/{service.owner_of_record.handle}/",
            "/incidents/",
            f"/incidents/{incident.pk}/",
        ],
    }


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it stands, one line each (rule, impact, first targets)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's Content Security Policy does not apply.
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in result["violations"]
    ]
