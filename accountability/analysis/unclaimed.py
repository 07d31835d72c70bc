"""Repositories no service claims (issue 15, DESIGN §2.2): a production deploy nobody owns is exactly the
gap this product exists to show, so its deliveries are not just ignored.

A GitHub delivery about a repository no service lists is stored as ignored with a reason naming the
repository (ingest/upserts.py). The scan turns those into one UNCLAIMED_REPOSITORY gap per repository,
counted against nobody, and replays them once a service lists the repository.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accountability.analysis.gap_findings import Finding
from accountability.analysis.gaps import ScanSummary, gaps_reconcile
from accountability.analysis.models import Gap
from accountability.ingest.errors import DeliveryIgnored, PayloadError
from accountability.ingest.models import Delivery
from accountability.ingest.services import deliveries_replay
from accountability.ingest.upserts import (
    UNCLAIMED_PREFIX,
    UNCLAIMED_SUFFIX,
    service_for_repository,
    unclaimed_repository,
)


def unclaimed_deliveries(*, since: datetime):
    return Delivery.objects.filter(
        status=Delivery.Status.IGNORED,
        error__startswith=UNCLAIMED_PREFIX,
        error__endswith=UNCLAIMED_SUFFIX,
        received_at__gte=since,
    )


def _claimed(repository: str) -> bool:
    try:
        service_for_repository(repository)
    except DeliveryIgnored:
        return False
    except PayloadError:
        return True  # listed on several services: replayed, each delivery then says which
    return True


def gaps_scan_unclaimed(*, now: datetime | None = None) -> ScanSummary:
    """Opens, keeps or resolves the UNCLAIMED_REPOSITORY gaps, replaying what was claimed since.

    1. Ignored deliveries of the recent window (ANALYSIS_RECENT_CHANGE_DAYS) whose reason is "repository X
       is not listed on any service", grouped by repository (case-insensitive, as GitHub names are).
    2. A repository a service now lists is claimed: its deliveries are replayed (pending again, enqueued
       on commit), so its changes and deployments land on that service, and it has no gap.
    3. Each other repository is one gap, high when it deployed (a deploy nobody is accountable for).
    """
    now = now or timezone.now()
    since = now - timedelta(days=settings.ANALYSIS_RECENT_CHANGE_DAYS)
    by_repository: dict[str, list[tuple[int, str, datetime]]] = defaultdict(list)
    rows = unclaimed_deliveries(since=since).values_list("id", "error", "event_type", "received_at")
    for delivery_id, error, event_type, received_at in rows:
        repository = unclaimed_repository(error)
        if repository:
            by_repository[repository.lower()].append((delivery_id, event_type, received_at, repository))
    findings, replay = [], []
    for key, deliveries in sorted(by_repository.items()):
        name = deliveries[-1][3]
        if _claimed(name):
            replay.extend(delivery_id for delivery_id, *_ in deliveries)
            continue
        deployments = sum(1 for _, event_type, *_ in deliveries if event_type.startswith("deployment"))
        last = max(received_at for _, _, received_at, _ in deliveries)
        findings.append(
            Finding(
                code=Gap.Code.UNCLAIMED_REPOSITORY,
                severity=Gap.Severity.HIGH if deployments else Gap.Severity.MEDIUM,
                sentence=(
                    f"{len(deliveries)} deliveries ({deployments} about deployments, the last "
                    f"{last:%Y-%m-%d %H:%M} UTC) came from {name}, which no service lists: nobody is "
                    "accountable for what it changes or deploys. List it on a service (catalog or admin) "
                    "and they are applied to it."
                ),
                repository=key,
            )
        )
    if replay:
        deliveries_replay(deliveries=Delivery.objects.filter(id__in=replay))
    return gaps_reconcile(findings=findings, scope=Q(code=Gap.Code.UNCLAIMED_REPOSITORY), now=now)
