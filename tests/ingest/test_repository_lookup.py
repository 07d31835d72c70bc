"""Every GitHub delivery finds its service by repository: case-insensitively, and through an index."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.catalog.models import Service
from accountability.ingest.upserts import service_for_repository
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_it_finds_the_service_whatever_the_case_of_the_repository_name():
    service = ServiceFactory(repositories=["Acme/Payments-API", "acme/payments-worker"])
    ServiceFactory(repositories=["acme/checkout"])
    assert service_for_repository("acme/payments-api") == service
    assert service_for_repository("ACME/PAYMENTS-WORKER") == service


def test_the_lookup_is_answered_by_the_lowercase_repositories_index_on_a_real_sized_catalog():
    # On a table of a few rows any plan is cheap and planners of different PostgreSQL versions pick
    # different ones; the property that matters is what a real catalog gets: the GIN index, not a scan.
    Service.objects.bulk_create(
        Service(name=f"svc {n}", slug=f"svc-{n}", repositories=[f"acme/repo-{n}", f"acme/repo-{n}-worker"])
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_service")
    with CaptureQueriesContext(connection) as queries:
        assert service_for_repository("Acme/Repo-1234").slug == "svc-1234"
    (lookup,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {lookup['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan on catalog_service_repositories_lower" in plan, plan
