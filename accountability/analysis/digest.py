"""The managers' weekly digest (DESIGN §1: "what shipped with thin human accountability?"), by e-mail.

Managers are the people with a `manager` membership and an address; each gets their own teams.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accountability.analysis.metrics import ALL_LEVELS, metrics_compute, wilson_interval
from accountability.analysis.models import Gap, MetricSnapshot
from accountability.analysis.selectors import gaps_open
from accountability.catalog.models import Membership, Person, Team
from accountability.notify.messages import site_link
from accountability.notify.models import Notification
from accountability.notify.services import notification_queue

# The gaps that say a production change went out with thin accountability.
THIN_ACCOUNTABILITY = (
    Gap.Code.UNSIGNED_PRODUCTION_CHANGE,
    Gap.Code.SIGNER_NOT_ACCOUNTABLE,
    Gap.Code.AI_CHANGE_UNREVIEWED,
    Gap.Code.AI_CHANGE_UNVERIFIED,
    Gap.Code.POLICY_OVERRIDDEN,
)
FAILURE_RATE_DAYS = 90
LISTED = 10


@transaction.atomic
def weekly_digest_send(*, now: datetime | None = None) -> int:
    """Queue this week's digest for every manager; returns how many were queued (again: none new).

    1. Find the managers (a `manager` membership, an address, still here) and their teams.
    2. For each team: the open thin-accountability gaps on production changes, by code, the first few named.
    3. Once for all: production failure rates by AI level over 90 days, with counts and Wilson intervals.
    4. Queue one e-mail per manager, keyed by ISO week, so a second run of the same week sends nothing.
    """
    now = now or timezone.now()
    year, week, _ = now.isocalendar()
    managers: dict[Person, list[Team]] = {}
    memberships = Membership.objects.filter(
        role=Membership.Role.MANAGER, person__is_active=True, person__departed_at__isnull=True
    ).exclude(person__email="")
    for membership in memberships.select_related("person", "team").order_by("team__name"):
        managers.setdefault(membership.person, []).append(membership.team)
    if not managers:
        return 0
    rates = _failure_rates(now=now)
    for person, teams in managers.items():
        sections = [_team_section(team) for team in teams]
        notification_queue(
            person=person,
            key=f"digest:{year}-W{week:02d}:{person.pk}",
            trigger=Notification.Trigger.DIGEST,
            channel=Notification.Channel.EMAIL,
            recipient=person.email,
            subject=f"Accountability, week {week}: {', '.join(team.name for team in teams)}"[:300],
            body="\n\n".join([*sections, rates]),
            link=site_link(reverse("changes:review")),
        )
    return len(managers)


def _team_section(team: Team) -> str:
    gaps = list(gaps_open(team=team).filter(code__in=THIN_ACCOUNTABILITY)[:200])
    if not gaps:
        return f"*{team.name}*: every production change is signed and verified as the policy asks."
    counts: dict[str, int] = {}
    for gap in gaps:
        label = gap.code.replace("_", " ").lower()
        counts[label] = counts.get(label, 0) + 1
    lines = [f"*{team.name}*: " + ", ".join(f"{count} {label}" for label, count in counts.items())]
    lines += [f"• {gap.sentence}" for gap in gaps[:LISTED]]
    if len(gaps) > LISTED:
        lines.append(
            f"… and {len(gaps) - LISTED} more: {site_link(reverse('changes:gaps'))}?team={team.slug}"
        )
    return "\n".join(lines)


def _failure_rates(*, now: datetime) -> str:
    buckets = metrics_compute(period_start=now - timedelta(days=FAILURE_RATE_DAYS), period_end=now)
    lines = [f"Production change failure rate by AI level, last {FAILURE_RATE_DAYS} days (95 % interval):"]
    organisation = MetricSnapshot.Scope.ORGANISATION
    for (scope, _, _, level), bucket in sorted(buckets.items(), key=lambda item: item[0][3]):
        if scope != organisation or level == ALL_LEVELS:
            continue
        if bucket.deployments < settings.ANALYSIS_METRICS_MIN_SAMPLE:
            lines.append(f"• {level}: not enough data ({bucket.deployments} deployments)")
            continue
        low, high = wilson_interval(failures=bucket.failures, total=bucket.deployments)
        rate = bucket.failures / bucket.deployments
        counts = f"{bucket.failures} of {bucket.deployments} deployments"
        lines.append(f"• {level}: {rate:.0%} ({low:.0%} to {high:.0%}), {counts}")
    if len(lines) == 1:
        lines.append("• no production deployments")
    return "\n".join(lines)
