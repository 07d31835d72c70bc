"""The CODEOWNERS pull job against a local server serving raw repository files."""

from pathlib import Path

import pytest

from accountability.catalog.importers.codeowners import path_owners_for
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.pull_runner import source_pull
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codeowners"


@pytest.fixture
def source(httpserver):
    return SourceFactory(
        kind=Source.Kind.CODEOWNERS,
        name="codeowners",
        url=httpserver.url_for("/").rstrip("/"),
        config={"repositories": ["nodejs/node", "saleor/saleor"], "branch": "main"},
        pull_every_minutes=60,
    )


def process_all():
    for delivery_id in Delivery.objects.order_by("id").values_list("id", flat=True):
        delivery_process(delivery_id=delivery_id)


def test_it_finds_each_file_where_github_looks_and_imports_it(httpserver, source):
    httpserver.expect_request("/nodejs/node/main/.github/CODEOWNERS").respond_with_data(
        (FIXTURES / "nodejs-node.CODEOWNERS").read_text()
    )
    httpserver.expect_request("/saleor/saleor/main/.github/CODEOWNERS").respond_with_data("", status=404)
    httpserver.expect_request("/saleor/saleor/main/CODEOWNERS").respond_with_data(
        (FIXTURES / "saleor-saleor.CODEOWNERS").read_text()
    )

    assert source_pull(source_id=source.id) == 2
    process_all()

    assert path_owners_for(repository="nodejs/node", path="lib/_stream_wrap.js") == ["@nodejs/streams"]
    assert path_owners_for(repository="saleor/saleor", path="saleor/core/models.py") == [
        "@saleor/engineering"
    ]
    source.refresh_from_db()
    assert source.cursor["saleor/saleor"]["path"] == "CODEOWNERS"


def test_it_stores_an_unchanged_file_once(httpserver, source):
    source.config = {"repositories": ["saleor/saleor"], "branch": "main"}
    source.save()
    httpserver.expect_request("/saleor/saleor/main/.github/CODEOWNERS").respond_with_data(
        "* @saleor/engineering\n"
    )

    source_pull(source_id=source.id)
    assert source_pull(source_id=source.id) == 0

    assert Delivery.objects.count() == 1


def test_it_resumes_with_the_repositories_left_after_a_failure(httpserver, source):
    httpserver.expect_request("/nodejs/node/main/.github/CODEOWNERS").respond_with_data("* @nodejs/tsc\n")
    httpserver.expect_oneshot_request("/saleor/saleor/main/.github/CODEOWNERS").respond_with_data(
        "no", status=403
    )

    assert source_pull(source_id=source.id) is None
    source.refresh_from_db()
    assert "nodejs/node" in source.cursor and "saleor/saleor" not in source.cursor

    httpserver.expect_request("/saleor/saleor/main/.github/CODEOWNERS").respond_with_data(
        "* @saleor/engineering\n"
    )
    assert source_pull(source_id=source.id) == 1  # node's unchanged file is not stored again

    assert Delivery.objects.count() == 2


def test_it_marks_a_file_without_repository_failed():
    delivery = Delivery.objects.create(
        source=SourceFactory(kind=Source.Kind.CODEOWNERS),
        external_id="x",
        event_type="codeowners.file",
        body=b"*",
    )

    delivery_process(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == (
        "failed",
        "the x-codeowners-repository header naming the repository is missing",
    )
