"""Running pull jobs: which sources are due, one run of one source, and its outcome on the Source row."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accountability.ingest.models import Source
from accountability.ingest.pull_http import PullError
from accountability.ingest.sources import PULLERS

logger = logging.getLogger(__name__)


def sources_due(*, now=None) -> list[int]:
    """Ids of enabled sources with a pull schedule whose last run (success or failure) is old enough."""
    now = now or timezone.now()
    due = []
    sources = Source.objects.filter(enabled=True, kind__in=list(PULLERS), pull_every_minutes__isnull=False)
    for source in sources:
        last = max(filter(None, [source.last_success_at, source.last_error_at]), default=None)
        if last is None or last + timedelta(minutes=source.pull_every_minutes) <= now:
            due.append(source.pk)
    return due


def _failed(source: Source, error: str) -> None:
    Source.objects.filter(pk=source.pk).update(last_error=error[:2000], last_error_at=timezone.now())


def source_pull(*, source_id: int) -> int | None:
    """Run one pull of a source; returns the deliveries stored, or None when it did not run.

    1. Skip a source that is gone, disabled or has no puller, or whose previous run still holds its lock.
    2. Pull: the puller stores each item through `delivery_store` and saves the cursor as it goes.
    3. Record the outcome: last_success_at (and no error), or last_error/last_error_at. The cursor keeps
       its position either way, so the next run resumes where this one stopped.
    """
    source = Source.objects.filter(pk=source_id, enabled=True).first()
    puller = PULLERS.get(source.kind) if source else None
    if puller is None:
        return None
    lock = f"pull-lock:{source.pk}"
    if not cache.add(lock, "1", timeout=settings.CELERY_TASK_TIME_LIMIT):
        return None
    try:
        stored = puller(source=source)
    except PullError as error:
        logger.warning("pull of %s failed: %s", source.name, error)
        return _failed(source, str(error))
    except Exception as bug:
        # An answer we did not expect (a field missing, not JSON) must show on the source, not only in a log.
        logger.exception("pull of %s failed unexpectedly", source.name)
        return _failed(source, f"internal error: {type(bug).__name__}: {bug}")
    finally:
        cache.delete(lock)
    Source.objects.filter(pk=source.pk).update(last_success_at=timezone.now(), last_error="")
    return stored
