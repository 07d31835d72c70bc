"""Prometheus metrics of the product's own pager signals (DESIGN §17 "operable").

The state of the work is read from PostgreSQL at each scrape, through indexed, bounded queries: the
deliveries waiting and the age of the oldest, the failed ones, the outbox by status, the gate's answers in
the last hour. Redis keeps nothing that matters, so no state is counted in process memory that a restart
would lose. What processes measure as they work (request latency, task durations and failures, delivery
apply latency) comes from accountability/telemetry.py.
"""

import hmac
import os

from django.conf import settings
from django.db import connection
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from accountability.audit.http import client_ip


def metrics_allowed(request) -> bool:
    """A bearer METRICS_TOKEN, or an address of METRICS_ALLOWED_IPS; with neither configured, nobody."""
    header = request.headers.get("Authorization", "")
    if settings.METRICS_TOKEN and hmac.compare_digest(header, f"Bearer {settings.METRICS_TOKEN}"):
        return True
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


def metrics_text() -> tuple[bytes, str]:
    """The database's figures, then the processes' (accountability/telemetry.py): summed over every
    process's file when PROMETHEUS_MULTIPROC_DIR is set, this process's own otherwise."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProductCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    return generate_latest(registry) + generate_latest(processes), CONTENT_TYPE_LATEST


class ProductCollector(Collector):
    def collect(self):
        with connection.cursor() as cursor:
            yield _pending(cursor)
            yield _failed(cursor)
            yield _outbox(cursor)
            yield _gate(cursor)


def _rows(cursor, sql: str) -> list[tuple]:
    cursor.execute(sql)
    return cursor.fetchall()


def _pending(cursor) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "accountability_deliveries_pending",
        "Deliveries stored and not yet applied, and the age of the oldest, by source",
        labels=["source", "kind", "measure"],
    )
    rows = _rows(
        cursor,
        """
        SELECT s.name, s.kind, count(*),
               COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(d.received_at)), 0)
        FROM ingest_delivery d JOIN ingest_source s ON s.id = d.source_id
        WHERE d.status = 'pending' GROUP BY s.name, s.kind
        """,
    )
    for name, kind, count, oldest in rows:
        family.add_metric([name, kind, "count"], count)
        family.add_metric([name, kind, "oldest_age_seconds"], float(oldest))
    return family


def _failed(cursor) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "accountability_deliveries_failed",
        "Deliveries that failed and wait for a replay",
        labels=["source", "kind"],
    )
    rows = _rows(
        cursor,
        """
        SELECT s.name, s.kind, count(*) FROM ingest_delivery d JOIN ingest_source s ON s.id = d.source_id
        WHERE d.status = 'failed' GROUP BY s.name, s.kind
        """,
    )
    for name, kind, count in rows:
        family.add_metric([name, kind], count)
    return family


def _outbox(cursor) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "accountability_outbox_oldest_pending_age_seconds",
        "Age of the oldest notification still waiting to be sent (0 when none)",
    )
    [(oldest,)] = _rows(
        cursor,
        "SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0) "
        "FROM notify_notification WHERE status = 'pending'",
    )
    family.add_metric([], float(oldest))
    return family


def _gate(cursor) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "accountability_gate_decisions_last_hour",
        "The deploy gate's answers in the last hour",
        labels=["decision"],
    )
    rows = _rows(
        cursor,
        "SELECT decision, count(*) FROM api_gatedecision "
        "WHERE at > now() - interval '1 hour' GROUP BY decision",
    )
    for decision, count in rows:
        family.add_metric([decision], count)
    return family
