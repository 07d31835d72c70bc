"""Template filters for plain language: `{{ gap.code|term }}`, `{{ deployment.finished_at|when }}`."""

from datetime import UTC, datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from accountability.web import links
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


@register.filter
def person_link(person, label: str = ""):
    """A person's name linking to their page (`{{ service.owner_of_record|person_link }}`); "" for nobody."""
    if person is None:
        return ""
    return format_html(
        '<a href="{}">{}</a>',
        reverse("catalog:person", args=[person.handle]),
        label or person.name,
    )


@register.filter
def team_link(team, label: str = ""):
    """A team's name linking to its page; "" for no team."""
    if team is None:
        return ""
    try:
        href = reverse("catalog:team", args=[team.slug])
    except NoReverseMatch:  # a slug some source wrote with a slash: the name without a link
        return label or team.name
    return format_html('<a href="{}">{}</a>', href, label or team.name)


@register.filter
def mailto(address: str):
    """An e-mail address as a mailto: link, or as text when it does not look like one."""
    href = links.mailto(address)
    return format_html('<a href="{}">{}</a>', href, address) if href else address


@register.filter
def commit_url(change) -> str:
    return links.github_commit_url(repository=change.repository, sha=change.sha)


@register.filter
def pull_url(change) -> str:
    return links.github_pull_url(repository=change.repository, number=change.pr_number, stored=change.pr_url)


@register.filter
def github_user(login: str) -> str:
    return links.github_user_url(login)


@register.filter
def github_repository(repository: str) -> str:
    return links.github_repository_url(repository)


@register.filter
def stored_person_link(entry: dict):
    """A person stored as {"person_id", "name"} (on call when a radius was computed) linking to their page
    by id, which stays right if they change their GitHub login later."""
    name = entry.get("name", "") if isinstance(entry, dict) else ""
    person_id = entry.get("person_id") if isinstance(entry, dict) else None
    if not isinstance(person_id, int):
        return name
    return format_html('<a href="{}">{}</a>', reverse("catalog:person", args=[f"id.{person_id}"]), name)


@register.filter
def blob_url(change, path: str) -> str:
    return links.github_blob_url(repository=change.repository, sha=change.sha, path=path)
