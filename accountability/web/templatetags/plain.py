"""Template filters for plain language: `{{ gap.code|term }}`, `{{ deployment.finished_at|when }}`."""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from accountability.web.glossary import term as glossary_term

register = template.Library()

# The one date format of the pages (the review table's rows use the same one in changes/rows.py).
DATE_TIME = "%Y-%m-%d %H:%M"


@register.filter
def term(code: str | None) -> str:
    return glossary_term(code)


@register.filter
def when(value: datetime | None, empty: str = "—"):
    """A time as the pages show it: `<time>` with the UTC time on hover; app.js rewrites the text into
    the viewer's time zone (without JavaScript it stays in UTC and says so)."""
    if value is None:
        return empty
    utc = value.astimezone(UTC) if timezone.is_aware(value) else value
    stamp = utc.strftime(DATE_TIME)
    return format_html(
        '<time datetime="{}" title="{} UTC" data-local>{} UTC</time>', utc.isoformat(), stamp, stamp
    )
