"""Every GitHub delivery finds its service by repository: case-insensitively, and through an index."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.ingest.upserts import service_for_repository
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_it_finds_the_service_whatever_the_case_of_the_repository_name():
    service = ServiceFactory(repositories=["Acme/Payments-API", "acme/payments-worker"])
    ServiceFactory(repositories=["acme/checkout"])
    assert service_for_repository("acme/payments-api") == service
    assert service_for_repository("ACME/PAYMENTS-WORKER") == service


def test_the_lookup_uses_the_lowercase_repositories_index():
    ServiceFactory(repositories=["acme/payments-api"])
    with CaptureQueriesContext(connection) as queries:
        service_for_repository("Acme/Payments-API")
    (lookup,) = queries.captured_queries
    with connection.cursor() as cursor:
        # With sequential scans priced out, the plan shows whether the query can use the index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {lookup['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_service_repositories_lower" in plan
