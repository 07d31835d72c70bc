"""Applying stored deliveries: exactly once, whatever fails around it."""

import logging
import time
from collections import defaultdict
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accountability.changes.identity import ChangeIdentityConflict
from accountability.followups import analysis_schedule_unclaimed, deployments_folded
from accountability.ingest.errors import TRANSIENT_ERRORS, ConcurrentWrite, DeliveryIgnored, PayloadError
from accountability.ingest.models import Delivery
from accountability.ingest.sources import SOURCES, WEBHOOK_KINDS
from accountability.ingest.upserts import (
    batch_delivery_done,
    batch_locks_lost,
    batch_shared,
    unclaimed_repository,
)
from accountability.ingest.wake import deliveries_wake, wake_clear
from accountability.telemetry import delivery_apply_latency

logger = logging.getLogger(__name__)

# How many times a delivery is applied again, at once, after losing an insert race (a uniqueness
# conflict): each retry runs in a new savepoint with a new snapshot, so it finds the row the winner
# committed and merges into it.
RACE_RETRIES = 3

# A drain hands over to a new task after this long, so one backlog never outlives the task time limit and
# the worker's other tasks (beat's jobs, pulls) get a turn.
DRAIN_SECONDS = 60.0


def delivery_process(*, delivery_id: int, batch_size: int = 1) -> None:
    """Applies one pending delivery through its source's adapter, and up to `batch_size - 1` other pending
    ones with it, oldest first, in the same transaction (one commit, lookups shared).

    1. Claim: the delivery's row is locked (SELECT … FOR UPDATE) and checked still pending.
       The lock is held until the end of the transaction, so a second worker running the same delivery waits,
       then reads it no longer pending and does nothing. The others are claimed the same way, skipping rows
       another worker has locked (SKIP LOCKED), so concurrent batches never wait on each other's rows; their
       own tasks, run later, find them applied and do nothing.
    2. Apply them (`_batch_apply`). A transient error of the task's own delivery is raised after the others
       commit, so the task retries it.
    """
    # The task's own delivery is found by its primary key alone, its status checked here: with
    # `status = 'pending'` in the same WHERE, statistics from a quiet hour (no pending row) made the
    # planner walk the (status, received_at) index through every pending row instead, ~100 ms a task
    # once a burst had queued 300,000 (bench, 2026-11-24).
    own = Delivery.objects.filter(id=delivery_id).values_list("status", flat=True)
    if own.first() != Delivery.Status.PENDING:
        return  # gone, or already applied by an earlier run or another task's batch: one cheap query
    with transaction.atomic():
        if own.select_for_update().first() != Delivery.Status.PENDING:
            return  # applied by a batch whose lock this waited for
        others = _claim(limit=batch_size - 1, besides=[delivery_id]) if batch_size > 1 else []
        left = _batch_apply([delivery_id, *others])
    if delivery_id in left:
        raise left[delivery_id]


def deliveries_apply_pending(*, limit: int, besides: list[int]) -> tuple[int, dict[int, Exception]]:
    """Claims up to `limit` pending deliveries, oldest first, skipping those another worker holds and those
    in `besides`, and applies them in one transaction (`_batch_apply`).

    Returns (how many were claimed, the ones a transient error left pending with that error)."""
    with transaction.atomic():
        claimed = _claim(limit=limit, besides=besides)
        return len(claimed), _batch_apply(claimed) if claimed else {}


def _batch_apply(ids: list[int]) -> dict[int, Exception]:
    """Applies claimed deliveries in the caller's transaction; returns those a transient error left pending.

    1. Parse and apply each inside a savepoint, in the same transaction as the status changes: the domain
       writes and "processed" commit together or not at all, so a worker killed mid-way leaves every claimed
       delivery pending (the broker redelivers the task, which claims them again, or the sweep re-enqueues
       them) and nothing half-applied.
    2. Record each outcome: processed, ignored (with the reason) or failed (with a readable error), and count
       an attempt of each claimed delivery (a killed worker's attempt rolls back with the rest); one bad
       delivery fails alone. A transient database/broker error rolls back that delivery's savepoint and leaves
       it pending; when the error broke the transaction itself, it is raised at once and the whole batch
       stays pending for the retry.
    """
    deliveries = Delivery.objects.select_related("source").filter(id__in=ids)
    outcomes: dict[tuple[str, str], list[int]] = defaultdict(list)
    applied: list[Delivery] = []
    left: dict[int, Exception] = {}
    with batch_shared(), deployments_folded():
        for delivery in deliveries.order_by("id"):
            try:
                status, error = _apply(delivery)
            except TRANSIENT_ERRORS as transient:
                if connection.needs_rollback:
                    raise  # the transaction is lost (the connection broke): retry the whole batch
                logger.warning("delivery %s left pending: %s", delivery.id, transient)
                left[delivery.id] = transient
                continue
            outcomes[status, error[:2000]].append(delivery.id)
            applied.append(delivery)
    now = timezone.now()
    attempted = F("attempts") + 1
    for (status, error), done in outcomes.items():
        Delivery.objects.filter(id__in=done).update(
            status=status, error=error, processed_at=now, attempts=attempted
        )
    if left:
        Delivery.objects.filter(id__in=list(left)).update(attempts=attempted)
    _measure(deliveries=applied, outcomes=outcomes, at=now)
    if any(unclaimed_repository(error) for status, error in outcomes if status == Delivery.Status.IGNORED):
        # A repository no service lists is a gap to show within the minute, not a silent skip.
        analysis_schedule_unclaimed()
    return left


def deliveries_drain(*, batch_size: int) -> int:
    """Applies pending deliveries, `batch_size` at a time, until none is left; returns how many it claimed.

    A batch smaller than `batch_size` means nothing else was pending and unlocked at its snapshot, so the
    drain stops there. A full first batch means a backlog: the drain wakes one more, so that every free
    worker process takes a share (each claims with SKIP LOCKED). A delivery that a transient error left
    pending is not claimed again by this drain: the error is raised at the end and the task's retry (with
    backoff) takes it up.
    """
    deadline = time.monotonic() + DRAIN_SECONDS
    claimed, left = 0, {}
    while True:
        wake_clear()
        count, transient = deliveries_apply_pending(limit=batch_size, besides=list(left))
        left.update(transient)
        claimed += count
        if count < batch_size:
            break
        if claimed == count:
            deliveries_wake()  # a backlog: one more drain, for another free worker process
        if time.monotonic() > deadline:
            deliveries_wake()  # the rest to a new task, behind whatever else is queued
            break
    if left:
        raise next(iter(left.values()))
    return claimed


def _measure(*, deliveries: list[Delivery], outcomes: dict, at) -> None:
    """Each applied delivery's time from receipt, for /metrics, and one log line carrying the request id
    of the task (the receiver's, for the delivery it enqueued)."""
    status_of = {delivery_id: status for (status, _), ids in outcomes.items() for delivery_id in ids}
    for delivery in deliveries:
        waited = (at - delivery.received_at).total_seconds()
        delivery_apply_latency.labels(delivery.source.kind).observe(waited)
        logger.info("delivery %s %s, %.3f s after receipt", delivery.id, status_of[delivery.id], waited)


def _claim(*, limit: int, besides: list[int]) -> list[int]:
    """Locks up to `limit` pending deliveries, oldest first, skipping those another worker holds and those
    in `besides`. Their attempts are counted when their outcome is written (`_batch_apply`), in the same
    transaction: a claim that writes nothing itself leaves no row version behind for the receiver's indexes
    and the next claim to step over (issue 19)."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, [besides, limit])
        return [row[0] for row in cursor.fetchall()]


_CLAIM = f"""
    SELECT id FROM {Delivery._meta.db_table}
    WHERE status = 'pending' AND id <> ALL(%s)
    ORDER BY received_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
"""  # noqa: S608 - the table name is ours, every value is a parameter


def _apply(delivery: Delivery) -> tuple[str, str]:
    """(status, error) of one claimed delivery, its domain writes made inside a savepoint of their own."""
    adapter = SOURCES.get(delivery.source.kind)
    status, error, released = Delivery.Status.PROCESSED, "", False
    try:
        if adapter is None:
            raise PayloadError(f"no adapter handles sources of kind {delivery.source.kind!r}")
        status = _apply_retrying_races(adapter, delivery)
        released = True
    except DeliveryIgnored as reason:
        status, error = Delivery.Status.IGNORED, str(reason)
    except (PayloadError, ChangeIdentityConflict) as problem:
        status, error = Delivery.Status.FAILED, str(problem)
    except TRANSIENT_ERRORS as error_:
        if not _exceeds_a_limit(error_):
            raise
        # PostgreSQL files "index row size exceeds maximum" (class 54, program limit exceeded) under
        # OperationalError, with the transient errors; the same data fails the same way on every retry.
        status, error = Delivery.Status.FAILED, f"the database cannot store a value of it: {error_}"[:2000]
    except Exception as bug:
        # A defect in an adapter must not retry forever nor hold up other deliveries: it is recorded,
        # fixed, and the delivery replayed.
        logger.exception("delivery %s failed unexpectedly", delivery.id)
        status, error = Delivery.Status.FAILED, f"internal error: {type(bug).__name__}: {bug}"
    finally:
        # Catalog imports and the CI API may write services and people: later deliveries look them up again.
        batch_delivery_done(released=released, catalog_written=delivery.source.kind not in WEBHOOK_KINDS)
    if status == Delivery.Status.IGNORED and not error:
        error = f"event type {delivery.event_type!r} is not used"
    return status, error


def _exceeds_a_limit(error: Exception) -> bool:
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    return sqlstate.startswith("54")


def _apply_retrying_races(adapter, delivery: Delivery) -> str:
    """Applies the delivery in a savepoint; a uniqueness conflict (two writers creating the same change,
    `change_unique_service_sha`) means another transaction inserted the row first, so it is applied again
    and finds that row. Not a defect and never the sender's fault, so it never fails the delivery."""
    for attempt in range(RACE_RETRIES + 1):
        try:
            with transaction.atomic():
                payload = adapter.parse(body=bytes(delivery.body), headers=delivery.headers)
                return adapter.apply(delivery=delivery, payload=payload)
        except IntegrityError as error:
            if not _unique_violation(error):
                raise
            batch_locks_lost()
            logger.info("delivery %s lost an insert race (attempt %s): %s", delivery.id, attempt + 1, error)
    raise ConcurrentWrite(f"delivery {delivery.id} lost {RACE_RETRIES + 1} insert races in a row")


def _unique_violation(error: IntegrityError) -> bool:
    # SQLSTATE 23505: unique_violation; other integrity errors (a foreign key, a check) are defects.
    return getattr(error.__cause__, "sqlstate", None) == "23505"


def deliveries_sweep(*, older_than: timedelta, limit: int = 10_000) -> list[int]:
    """Ids of deliveries whose task was lost, marked as swept; the caller enqueues them again.

    A delivery qualifies when it is still pending `older_than` after it was received, is not being processed
    right now (its row is not locked by a claim: SKIP LOCKED), and was not swept within the last four
    `older_than`, so that during a long worker outage one delivery is not queued again every minute.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, received_at__lt=now - older_than)
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lt=now - 4 * older_than))
            .order_by("received_at")
            .values_list("id", flat=True)[:limit]
        )
        Delivery.objects.filter(id__in=ids).update(swept_at=now)
    return ids
