"""The worker's heartbeat: beat schedules a task, a worker runs it, the home page shows its age."""

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "worker-heartbeat"


def heartbeat_record() -> datetime:
    now = timezone.now()
    cache.set(HEARTBEAT_KEY, now.isoformat(), timeout=None)
    return now


def heartbeat_last() -> datetime | None:
    try:
        value = cache.get(HEARTBEAT_KEY)
    except Exception:  # the broker being down must not take the home page with it
        return None
    return datetime.fromisoformat(value) if value else None
