"""The beat task finds a due source and a real Celery worker pulls it and applies what it stored."""

import pytest

from accountability.catalog.importers.codeowners import path_owners_for
from accountability.ingest.models import Delivery, Source
from accountability.ingest.tasks import pull_due_sources
from tests.conftest import wait_until
from tests.factories import SourceFactory

pytestmark = pytest.mark.integration


def test_it_pulls_a_due_source_in_a_worker(celery_worker_process, httpserver):
    source = SourceFactory(
        kind=Source.Kind.CODEOWNERS,
        name="codeowners-beat",
        url=httpserver.url_for("/").rstrip("/"),
        config={"repositories": ["acme/payments"], "branch": "main"},
        pull_every_minutes=60,
    )
    httpserver.expect_request("/acme/payments/main/.github/CODEOWNERS").respond_with_data(
        "* @acme/payments-team\n/docs/ @acme/writers\n"
    )

    assert pull_due_sources.apply().get() == 1  # what beat runs every minute: enqueue the due source

    wait_until(lambda: Delivery.objects.filter(source=source, status="processed").exists())
    assert path_owners_for(repository="acme/payments", path="docs/index.md") == ["@acme/writers"]
    source.refresh_from_db()
    assert source.last_success_at is not None
    assert pull_due_sources.apply().get() == 0  # not due again for an hour
