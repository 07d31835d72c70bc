"""manage.py backfill_deliveries FILE: historical events stored once as pending deliveries, then applied."""

import json

import pytest
from django.core.management import CommandError, call_command

from accountability.changes.models import Deployment
from accountability.ingest.models import Delivery
from accountability.ingest.processing import delivery_process
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import fixture_json

pytestmark = pytest.mark.django_db


def write_lines(path, events):
    path.write_text("\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n")
    return path


def deployment_event(number: int, **extra) -> dict:
    body = fixture_json("github/deployment/00-created.json")
    body["deployment"]["id"] = number
    headers = {"x-github-event": "deployment", "x-github-delivery": f"old-{number}"}
    return {
        "source": "gh",
        "id": f"old-{number}",
        "event": "deployment",
        "headers": headers,
        "body": body,
        **extra,
    }


def backfill(path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("backfill_deliveries", str(path), stdout=out)
    return out.getvalue()


def test_it_stores_each_event_once_as_a_pending_delivery(tmp_path):
    SourceFactory(kind="github", name="gh")
    events = [
        deployment_event(1, received_at="2025-01-31T12:00:00Z"),
        deployment_event(2),
        deployment_event(2),  # twice in the file
        {"source": "nowhere", "id": "x", "body": {}},
        {"source": "gh", "body": {}},  # no id
        ["not", "an", "object"],
        "",
    ]

    output = backfill(write_lines(tmp_path / "events.jsonl", events))

    assert output.startswith("Read 6 events: 2 stored, 1 already stored, 3 skipped")
    first = Delivery.objects.get(external_id="old-1")
    assert first.status == Delivery.Status.PENDING
    assert first.event_type == "deployment"
    assert first.headers == {"x-github-event": "deployment", "x-github-delivery": "old-1"}
    assert first.received_at.isoformat() == "2025-01-31T12:00:00+00:00"
    assert json.loads(bytes(first.body))["deployment"]["id"] == 1
    assert Delivery.objects.count() == 2


def test_it_counts_events_already_stored_as_duplicates(tmp_path):
    SourceFactory(kind="github", name="gh")
    path = write_lines(tmp_path / "events.jsonl", [deployment_event(1), deployment_event(2)])
    backfill(path)

    output = backfill(path)

    assert output.startswith("Read 2 events: 0 stored, 2 already stored, 0 skipped")
    assert Delivery.objects.count() == 2


def test_it_applies_backfilled_deliveries_like_received_ones(tmp_path):
    SourceFactory(kind="github", name="gh")
    ServiceFactory(slug="hello", repositories=["Codertocat/Hello-World"])
    backfill(write_lines(tmp_path / "events.jsonl", [deployment_event(77)]))

    delivery_process(delivery_id=Delivery.objects.get().id)

    assert (Delivery.objects.get().status, Delivery.objects.get().error) == (Delivery.Status.PROCESSED, "")
    assert Deployment.objects.filter(external_id="77").count() == 1


def test_it_refuses_a_file_with_a_line_that_is_not_json_and_stores_nothing(tmp_path):
    SourceFactory(kind="github", name="gh")
    path = write_lines(
        tmp_path / "events.jsonl", [deployment_event(1), '{"source": "gh", "id": ', deployment_event(2)]
    )

    with pytest.raises(CommandError, match="line 2 is not JSON"):
        backfill(path)

    assert Delivery.objects.count() == 0


def test_it_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        backfill(tmp_path / "missing.jsonl")
