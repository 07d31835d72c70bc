"""Reads of the person and team pages: who someone is accountable for, and what a team answers for.

Each list is capped and loaded with its joins, so a page costs the same handful of queries for a person
with two services as for one with two hundred (tests/catalog/test_people_pages.py counts them).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone

from accountability.analysis.change_selectors import signoff_queue_parts
from accountability.analysis.models import Gap
from accountability.analysis.selectors import SEVERITY_ORDER
from accountability.catalog.models import LOGIN_HANDLE, Membership, OnCallShift, Person, Service, Team
from accountability.changes.models import Change, Deployment, Environment, SignOff

LIST_LIMIT = 50
RECENT_LIMIT = 20
RECENT_CHANGES_DAYS = 30


def _changes_in_order(ids: list[int], *, extra: dict[str, dict]) -> list[Change]:
    """The changes of `ids` in that order (one query), each with the attributes of `extra` by id."""
    changes = Change.objects.filter(pk__in=ids).select_related("service__owner_team")
    by_id = {change.pk: change for change in changes}
    ordered = [by_id[pk] for pk in ids if pk in by_id]
    for change in ordered:
        for name, values in extra.items():
            setattr(change, name, values.get(change.pk))
    return ordered


def person_by_handle(*, handle: str) -> Person:
    """The person at /people/<handle>/: a GitHub login (any case), or `id.<pk>` for one without a login.

    Raises Person.DoesNotExist for anything else, a malformed handle included.
    """
    people = Person.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("team").order_by("team__name"))
    )
    if handle.startswith("id.") and handle[3:].isdigit() and len(handle) < 24:
        return people.get(pk=int(handle[3:]))
    if LOGIN_HANDLE.fullmatch(handle):
        return people.get(github_login__iexact=handle)
    raise Person.DoesNotExist


def _open_gaps() -> QuerySet[Gap]:
    return (
        Gap.objects.filter(resolved_at__isnull=True)
        .select_related("service", "team", "change__service", "person", "acknowledged_by_person")
        .order_by(SEVERITY_ORDER, "first_seen", "id")
    )


@dataclass
class PersonPage:
    person: Person
    owned_services: list[Service]
    on_call_now: list[OnCallShift]
    on_call_next: list[OnCallShift]
    signoffs: list[SignOff]
    waiting: list[Change]  # each with `waiting_since`
    gaps: list[Gap]


def person_page(*, person: Person, now: datetime | None = None) -> PersonPage:
    """What the person owns, whose pager they hold, what they signed and what waits for them.

    1. Services they are owner of record of (their teams come with the person).
    2. Their on-call shifts now and the next ones within 14 days.
    3. Their last ledger entries, newest first.
    4. The changes waiting for their sign-off before a deploy (My sign-offs' first part).
    5. Open gaps on them: the person as the subject, or a service or change they are owner of record of.
    """
    now = now or timezone.now()
    shifts = list(
        OnCallShift.objects.filter(person=person, end__gt=now, start__lte=now + timedelta(days=14))
        .select_related("team")
        .order_by("start", "escalation_level")[:LIST_LIMIT]
    )
    queue = signoff_queue_parts(person=person, limit=RECENT_LIMIT)
    owned = Service.objects.filter(owner_of_record=person).select_related("owner_team")
    gaps = _open_gaps().filter(
        Q(person=person) | Q(service__owner_of_record=person) | Q(change__service__owner_of_record=person)
    )
    return PersonPage(
        person=person,
        owned_services=list(owned.order_by("tier", "name")[:LIST_LIMIT]),
        on_call_now=[shift for shift in shifts if shift.start <= now],
        on_call_next=[shift for shift in shifts if shift.start > now][:3],
        signoffs=list(
            SignOff.objects.filter(signer=person)
            .select_related("change__service", "delegate")
            .order_by("-id")[:RECENT_LIMIT]
        ),
        waiting=_changes_in_order(queue.waiting, extra={"waiting_since": queue.waiting_since}),
        gaps=list(gaps[:LIST_LIMIT]),
    )


@dataclass
class TeamPage:
    team: Team
    services: list[Service]
    members: list[Membership]
    gaps: list[Gap]
    recent_changes: list[Change] = field(default_factory=list)  # each with `last_deployed`


def team_for_page(*, slug: str) -> Team:
    return Team.objects.select_related("parent").get(slug=slug)


def team_page(*, team: Team, now: datetime | None = None) -> TeamPage:
    """A team's services, members, open gaps and the production changes of the last 30 days.

    The recent changes come latest production deployment first, each with its sign-off state.
    """
    now = now or timezone.now()
    since = now - timedelta(days=RECENT_CHANGES_DAYS)
    recent = (
        Change.objects.filter(
            service__owner_team=team,
            deployments__environment=Environment.PRODUCTION,
            deployments__finished_at__gte=since,
            deployments__status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
        )
        .annotate(last_deployed=Max("deployments__finished_at"))
        .order_by("-last_deployed", "-id")
        .values_list("pk", "last_deployed")
    )
    recent = dict(recent[:RECENT_LIMIT])
    return TeamPage(
        team=team,
        services=list(
            Service.objects.filter(owner_team=team)
            .select_related("owner_of_record")
            .order_by("tier", "name")[:LIST_LIMIT]
        ),
        members=list(
            Membership.objects.filter(team=team)
            .select_related("person")
            .order_by("role", "person__name")[:LIST_LIMIT]
        ),
        gaps=list(_open_gaps().filter(accountable_team=team)[:LIST_LIMIT]),
        recent_changes=_changes_in_order(list(recent), extra={"last_deployed": recent}),
    )
