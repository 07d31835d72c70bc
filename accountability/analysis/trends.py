"""Weekly trends for the metrics page: production deployments and change failure rate per AI level.

A week is Monday 00:00 UTC to the next Monday; the current week is counted so far. A failure is what the
period metrics call one (metrics.py): a rolled-back deployment, or a deployment of a change confirmed as the
cause of an incident. Below `minimum` deployments a level's week has counts but no rate, as on the rest of
the page.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from accountability.changes.models import AIProvenance, Deployment, Environment
from accountability.incidents.models import SuspectChange

LEVELS = ("none", "assisted", "majority", "generated", "unknown")


@dataclass
class LevelWeek:
    deployments: int = 0
    failures: int = 0
    rate: float | None = None


@dataclass
class Week:
    start: datetime
    partial: bool
    deployments: int = 0
    failures: int = 0
    levels: dict[str, LevelWeek] = field(default_factory=dict)


def week_start(at: datetime) -> datetime:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly_trend(*, now: datetime, weeks: int = 12, team_id: int | None = None, minimum: int) -> list[Week]:
    """The last `weeks` weeks, oldest first, ending with the current (partial) one.

    1. Read the production deployments that finished (succeeded or rolled back) since the first week's
       Monday, with their change's AI level (one query), for one team's services if asked.
    2. Read which of their changes are a confirmed cause of an incident (one query).
    3. Count deployments and failures per week, in total and per AI level; a level's rate only from
       `minimum` deployments in that week.
    """
    first = week_start(now) - timedelta(weeks=weeks - 1)
    deployments = Deployment.objects.filter(
        environment=Environment.PRODUCTION,
        status__in=[Deployment.Status.SUCCEEDED, Deployment.Status.ROLLED_BACK],
        finished_at__gte=first,
        finished_at__lte=now,
    )
    if team_id is not None:
        deployments = deployments.filter(change__service__owner_team_id=team_id)
    rows = list(deployments.values_list("change_id", "status", "finished_at", "change__provenance__level"))
    causes = set(
        SuspectChange.objects.filter(
            change_id__in={row[0] for row in rows}, verdict=SuspectChange.Verdict.CONFIRMED
        ).values_list("change_id", flat=True)
    )
    result = [
        Week(start=first + timedelta(weeks=index), partial=index == weeks - 1) for index in range(weeks)
    ]
    counts: dict[tuple[int, str], LevelWeek] = defaultdict(LevelWeek)
    for change_id, status, finished_at, level in rows:
        index = (week_start(finished_at) - first).days // 7
        failed = status == Deployment.Status.ROLLED_BACK or change_id in causes
        week = result[index]
        week.deployments += 1
        week.failures += failed
        bucket = counts[(index, level or AIProvenance.Level.UNKNOWN)]
        bucket.deployments += 1
        bucket.failures += failed
    for index, week in enumerate(result):
        for level in LEVELS:
            bucket = counts.get((index, level), LevelWeek())
            if bucket.deployments >= minimum:
                bucket.rate = bucket.failures / bucket.deployments
            week.levels[level] = bucket
    return result
