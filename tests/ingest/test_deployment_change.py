"""Which change a GitHub deployment lands on: the one at its sha, found in the upsert itself, or, when there
is none yet, the one `change_by_sha` finds or creates (the same identity rules as every other writer)."""

import pytest

from accountability.changes.models import Change, Deployment
from accountability.ingest.models import Source
from accountability.ingest.processing import delivery_process
from tests.factories import ChangeFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import deployment_delivery, fixture_json

pytestmark = pytest.mark.django_db

SHA = fixture_json("github/deployment/00-created.json")["deployment"]["sha"]
HEAD = "7b5a809ab03679215c55926f7d111156ec98b865"


@pytest.fixture
def service():
    return ServiceFactory(slug="hello-world", repositories=["Codertocat/Hello-World"])


@pytest.fixture
def github():
    return SourceFactory(kind=Source.Kind.GITHUB)


def applied(source, number: int, *, delivery: str = "", **changes) -> Deployment:
    delivery = deployment_delivery(source, number, delivery=delivery, **changes)
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == ("processed", "")
    return Deployment.objects.select_related("change").get(external_id=str(number))


def test_a_deployment_of_a_pushed_commit_lands_on_its_change(service, github):
    pushed = ChangeFactory(service=service, sha=SHA)

    assert applied(github, 1).change == pushed
    assert Change.objects.count() == 1


def test_a_deployment_heard_of_before_its_commit_creates_the_change(service, github):
    deployment = applied(github, 1)

    assert (deployment.change.service, deployment.change.sha) == (service, SHA)
    assert (deployment.environment, deployment.status) == ("production", Deployment.Status.QUEUED)
    assert applied(github, 2).change == deployment.change  # the next deployment of the sha finds it


def test_a_deployment_of_a_merged_pull_requests_head_lands_on_the_merged_change(service, github):
    merged = ChangeFactory(service=service, sha="a" * 40, commit_shas=[HEAD], pr_number=3)

    assert applied(github, 1, sha=HEAD).change == merged
    assert Change.objects.count() == 1


def test_a_stale_description_of_a_deployment_changes_nothing(service, github):
    ChangeFactory(service=service, sha=SHA)
    applied(github, 1, created_at="2026-06-01T10:00:00Z", environment="staging")

    stale = applied(github, 1, delivery="late", created_at="2026-06-01T09:00:00Z", environment="qa")

    assert (stale.environment, stale.started_at.isoformat()) == ("staging", "2026-06-01T10:00:00+00:00")
    assert Deployment.objects.count() == 1
