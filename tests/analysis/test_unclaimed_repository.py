"""A deploy from a repository no service lists is a gap on the gaps page, and lands on the service that
claims the repository (issue 15: it used to be stored as ignored and vanish)."""

import json

import pytest
from django.test import Client

from accountability.analysis.models import Gap
from accountability.analysis.unclaimed import gaps_scan_unclaimed
from accountability.changes.models import Deployment
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from tests.conftest import wait_until
from tests.factories import ServiceFactory, SourceFactory, user_with_role
from tests.ingest.conftest import deliver, fixture_bytes, fixture_json, github_headers, post

REPOSITORY = "Codertocat/Hello-World"  # the repository of the octokit deployment samples


@pytest.fixture
def github():
    return SourceFactory(kind=Source.Kind.GITHUB, name="gh")


def _deploy(github) -> Delivery:
    body = fixture_bytes("github/deployment/00-created.json")
    return deliver(
        github, body, headers={"x-github-event": "deployment"}, external_id="d1", event_type="deployment"
    )


@pytest.mark.django_db
def test_a_deploy_of_an_unclaimed_repository_is_a_gap_on_the_gaps_page(github, client):
    delivery = _deploy(github)
    assert delivery.status == Delivery.Status.IGNORED

    gaps_scan_unclaimed()

    gap = Gap.objects.get(code=Gap.Code.UNCLAIMED_REPOSITORY)
    assert (gap.repository, gap.severity, gap.service, gap.accountable_team) == (
        REPOSITORY.lower(),
        "high",
        None,
        None,
    )
    assert "1 about deployments" in gap.sentence
    client.force_login(user_with_role("viewer", username="manager"))
    body = client.get("/review/gaps/", {"team": "-"}).content.decode()
    assert f"repository {REPOSITORY.lower()}" in body


@pytest.mark.django_db
def test_claiming_the_repository_replays_its_deliveries_onto_the_service(github):
    _deploy(github)
    gaps_scan_unclaimed()
    service = ServiceFactory(slug="hello", repositories=[REPOSITORY])

    gaps_scan_unclaimed()  # what the catalog import or the admin save enqueues

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    delivery_process(delivery_id=delivery.id)
    assert Deployment.objects.get().change.service == service
    assert Gap.objects.get(code=Gap.Code.UNCLAIMED_REPOSITORY).resolved_at is not None


@pytest.mark.integration
def test_the_gap_shows_within_a_minute_on_a_worker_and_the_deploy_lands_once_claimed(celery_worker_process):
    SourceFactory(kind=Source.Kind.GITHUB, name="gh")
    webhooks = Client()
    body = json.dumps(fixture_json("github/deployment/00-created.json")).encode()
    response = post(
        webhooks, "/webhooks/github/gh/", body, github_headers(body, event="deployment", delivery="d1")
    )
    assert response.status_code == 202

    # The worker's start is included: on a busy two-core machine it alone takes tens of seconds.
    wait_until(lambda: Gap.objects.filter(code=Gap.Code.UNCLAIMED_REPOSITORY).exists(), timeout=90)

    service = ServiceFactory(slug="hello", repositories=[REPOSITORY])
    from accountability.followups import analysis_schedule_unclaimed

    analysis_schedule_unclaimed()  # as the Backstage import and the admin do after a claim
    deployment = wait_until(lambda: Deployment.objects.select_related("change").first(), timeout=60)
    assert deployment.change.service == service


@pytest.mark.django_db
def test_search_finds_an_unclaimed_repository(github, client):
    _deploy(github)
    gaps_scan_unclaimed()
    client.force_login(user_with_role("viewer", username="commander"))

    body = client.get("/search/", {"q": "hello-world"}).content.decode()

    assert "Repositories no service claims" in body
    assert REPOSITORY.lower() in body
