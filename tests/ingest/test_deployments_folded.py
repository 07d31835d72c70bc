"""A worker's batch of deployments asks for one re-ranking of nearby incidents per environment, whose span
holds every incident any of them would have found (followups.deployments_folded, DESIGN §12)."""

import pytest

from accountability.ingest.models import Source
from accountability.ingest.processing import deliveries_apply_pending
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import deployment_delivery, published

TASK = "analysis.deployment_incidents"


@pytest.fixture
def github(transactional_db):
    ServiceFactory(slug="hello-world", repositories=["Codertocat/Hello-World"])
    return SourceFactory(kind=Source.Kind.GITHUB)


def test_a_batch_asks_once_per_environment_for_the_span_of_its_deployments(github, queue):
    broker, name = queue
    deployment_delivery(github, 1, environment="production", created_at="2026-11-30T14:00:00Z")
    deployment_delivery(github, 2, environment="production", created_at="2026-11-30T12:00:00Z")
    deployment_delivery(github, 3, environment="production", created_at="2026-11-30T13:00:00Z")
    deployment_delivery(github, 4, environment="staging", created_at="2026-11-30T12:30:00Z")

    claimed, _ = deliveries_apply_pending(limit=50, besides=[])

    assert claimed == 4
    # A new deployment is queued (still running): every open incident of its environment is a candidate.
    assert sorted(published(broker, name, TASK)) == [
        ["production", "2026-11-30T12:00:00+00:00", "2026-11-30T14:00:00+00:00", True],
        ["staging", "2026-11-30T12:30:00+00:00", "2026-11-30T12:30:00+00:00", True],
    ]
