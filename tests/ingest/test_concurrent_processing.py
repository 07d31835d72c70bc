"""Deliveries about one change processed at the same moment by different workers still make one change."""

import json
import threading

import pytest
from django.db import connections

from accountability.changes.models import Change, Deployment, Evidence
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from tests.factories import DeliveryFactory, ServiceFactory, SourceFactory
from tests.ingest.test_github_order import MERGE_SHA, realistic_sequence


def process_together(delivery_ids: list[int]) -> None:
    """Each delivery in its own thread (its own database connection), released at the same instant."""
    start = threading.Barrier(len(delivery_ids))

    def work(delivery_id: int) -> None:
        start.wait()
        try:
            delivery_process(delivery_id=delivery_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(delivery_id,)) for delivery_id in delivery_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_a_pr_its_push_review_checks_and_deployment_applied_at_once_make_one_change():
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    source = SourceFactory(kind=Source.Kind.GITHUB)
    deliveries = [
        DeliveryFactory(
            source=source,
            external_id=f"{number}-{event}",
            headers={"x-github-event": event},
            body=json.dumps(payload).encode(),
        )
        for number, (event, payload) in enumerate(realistic_sequence())
    ]
    process_together([delivery.id for delivery in deliveries])

    statuses = list(Delivery.objects.values_list("status", "error"))
    assert statuses == [("processed", "")] * len(deliveries)
    [change] = Change.objects.all()
    assert (change.sha, change.pr_number, change.title) == (MERGE_SHA, 3, "Byao1276 patch 1")
    assert change.commits.count() == 5
    assert Evidence.objects.filter(change=change).count() == 3
    assert Deployment.objects.get().status == "succeeded"
