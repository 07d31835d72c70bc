"""Raw bodies of applied and ignored deliveries are dropped after INGEST_RETENTION_DAYS; failed ones stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.ingest.models import Delivery
from accountability.ingest.retention import deliveries_prune
from accountability.ingest.services import deliveries_replay
from tests.factories import DeliveryFactory

pytestmark = pytest.mark.django_db


def aged(days: int, status: str) -> Delivery:
    delivery = DeliveryFactory(status=status, body=b'{"zen": "x"}', headers={"x-github-event": "ping"})
    Delivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timedelta(days=days))
    return delivery


def test_it_drops_old_bodies_of_applied_and_ignored_deliveries_in_batches(settings):
    settings.INGEST_RETENTION_DAYS = 30
    old = [aged(31, "processed") for _ in range(3)] + [aged(40, "ignored")]
    recent, failed, pending = aged(29, "processed"), aged(90, "failed"), aged(90, "pending")

    assert deliveries_prune(batch=2) == 4
    assert deliveries_prune(batch=2) == 0  # nothing left: a second run finds nothing

    for delivery in old:
        delivery.refresh_from_db()
        assert (bytes(delivery.body), delivery.headers) == (b"", {})
        assert delivery.pruned_at is not None
    for kept in (recent, failed, pending):
        kept.refresh_from_db()
        assert bytes(kept.body) == b'{"zen": "x"}'
        assert kept.pruned_at is None


def test_a_pruned_delivery_is_not_replayed():
    pruned = aged(60, "processed")
    deliveries_prune()

    assert deliveries_replay(deliveries=Delivery.objects.filter(pk=pruned.pk), enqueue=False) == 0
    pruned.refresh_from_db()
    assert pruned.status == "processed"


def test_retention_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ingest-prune-deliveries"]
    assert entry["task"] == "ingest.prune_deliveries"
