"""The Backstage catalog pull job against a local server answering like /api/catalog/entities."""

import json
from pathlib import Path

import pytest
from werkzeug import Response

from accountability.catalog.importers.backstage import entities_parse
from accountability.catalog.models import Dependency, Service
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.pull_runner import source_pull
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

EXAMPLES = (
    Path(__file__).resolve().parent.parent / "fixtures" / "backstage" / "backstage-catalog-model-examples"
)


@pytest.fixture
def entities():
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        for entity in entities_parse(path.read_text()):
            # The catalog API adds what it computed (uid, relations); the importer ignores them.
            entity["metadata"].setdefault("namespace", "default")
            entity["metadata"]["uid"] = f"uid-{entity['kind']}-{entity['metadata']['name']}"
            entity["relations"] = []
            found.append(entity)
    return found


@pytest.fixture
def source(httpserver):
    return SourceFactory(
        kind=Source.Kind.BACKSTAGE,
        name="backstage",
        url=httpserver.url_for("/").rstrip("/"),
        token="backstage-token",
        pull_every_minutes=60,
    )


def serve(httpserver, entities, page_size):
    def answer(request):
        offset, limit = int(request.args["offset"]), int(request.args["limit"])
        return Response(json.dumps(entities[offset : offset + limit]), content_type="application/json")

    httpserver.expect_request("/api/catalog/entities").respond_with_handler(answer)


def test_it_pulls_every_page_of_the_catalog_as_one_snapshot(httpserver, source, entities):
    source.config = {"page_size": 5}  # the sample catalog is small: make it span pages
    source.save()
    serve(httpserver, entities, 5)

    assert source_pull(source_id=source.id) == 1
    delivery_process(delivery_id=Delivery.objects.get().id)

    assert Delivery.objects.get().status == "processed"
    offsets = [int(r.args["offset"]) for r, _ in httpserver.log]
    assert offsets == list(range(0, len(entities) + 1, 5))
    assert Service.objects.filter(record_source="backstage").count() == 8
    assert Dependency.objects.filter(
        from_service__slug="wayback-search", to_service__slug="wayback-archive"
    ).exists()
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer backstage-token"
    source.refresh_from_db()
    assert source.cursor["entities"] == len(entities)


def test_it_stores_an_unchanged_catalog_once(httpserver, source, entities):
    serve(httpserver, entities, 500)

    source_pull(source_id=source.id)
    assert source_pull(source_id=source.id) == 0

    assert Delivery.objects.count() == 1


def test_it_records_a_failure_and_stores_nothing(httpserver, source):
    httpserver.expect_request("/api/catalog/entities").respond_with_data("no", status=401)

    assert source_pull(source_id=source.id) is None

    source.refresh_from_db()
    assert "answered 401" in source.last_error
    assert not Delivery.objects.exists()


def test_it_marks_a_snapshot_that_is_not_a_catalog_failed():
    source = SourceFactory(kind=Source.Kind.BACKSTAGE)
    delivery = Delivery.objects.create(
        source=source, external_id="x", event_type="catalog.snapshot", body=b"{oops"
    )

    delivery_process(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.error.startswith("not a catalog file")
