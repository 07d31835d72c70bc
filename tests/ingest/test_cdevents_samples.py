"""Every CDEvents conformance example through the adapter: deployments, incidents, changes, evidence."""

import json

import pytest

from accountability.catalog.models import EnvironmentMapping
from accountability.changes.models import Change, Deployment, Evidence, RollbackPlan
from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from tests.factories import ChangeFactory, DeploymentFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver, fixture_bytes, fixture_json

pytestmark = pytest.mark.django_db

IMAGE = "pkg:oci/myapp@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
DIGEST = "0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"


@pytest.fixture
def source():
    return SourceFactory(kind=Source.Kind.CDEVENTS)


@pytest.fixture
def myapp():
    # The samples deploy to "test123"; unmapped it would be production (catalog/environments.py).
    EnvironmentMapping.objects.create(pattern="test123", environment="staging")
    return ServiceFactory(slug="myapp", name="My App", repositories=["TestRepo/TestOrg"])


def deliver_cdevent(source, name: str, body: bytes | None = None):
    body = fixture_bytes(f"cdevents/{name}") if body is None else body
    return deliver(source, body, headers={}, external_id=name)


@pytest.mark.parametrize("name", ["service_deployed.json", "service_upgraded.json"])
def test_it_records_a_deployment_of_the_artifact(source, myapp, name):
    delivery = deliver_cdevent(source, name)
    assert delivery.status == Delivery.Status.PROCESSED
    deployment = Deployment.objects.get()
    assert (deployment.provider, deployment.environment, deployment.status) == (
        "cdevents",
        "staging",
        "succeeded",
    )
    assert deployment.artifact_id == IMAGE
    assert deployment.finished_at.isoformat() == "2023-03-20T14:27:05.315384+00:00"
    assert (deployment.change.service, deployment.change.sha) == (myapp, DIGEST)
    assert deployment.change.title == f"artifact {IMAGE}"


def test_it_marks_the_previous_deployment_rolled_back_and_counts_a_rehearsal_outside_production(
    source, myapp
):
    earlier = DeploymentFactory(
        change=ChangeFactory(service=myapp),
        environment="staging",
        artifact_id="pkg:oci/myapp@sha256%3Aabc",
        finished_at="2023-03-20T10:00:00Z",
    )
    plan = RollbackPlan.objects.create(
        change=earlier.change, strategy=RollbackPlan.Strategy.REDEPLOY_PREVIOUS
    )
    delivery = deliver_cdevent(source, "service_rolledback.json")
    assert delivery.status == Delivery.Status.PROCESSED
    earlier.refresh_from_db()
    assert earlier.status == "rolled_back"
    rehearsal = Evidence.objects.get(change=earlier.change)
    assert (rehearsal.kind, rehearsal.result) == ("rollback_rehearsal", "passed")
    plan.refresh_from_db()
    assert plan.last_rehearsed_at.isoformat() == "2023-03-20T14:27:05.315384+00:00"
    assert Deployment.objects.get(provider="cdevents").artifact_id == IMAGE  # what runs now


def test_it_ignores_a_deployment_of_a_service_it_does_not_know(source):
    delivery = deliver_cdevent(source, "service_deployed.json")
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        "no service is named 'mySubject123', 'myapp'",
    )


def test_it_builds_an_incident_from_detected_reported_resolved(source, myapp):
    for name in ("incident_detected.json", "incident_reported.json", "incident_resolved.json"):
        assert deliver_cdevent(source, name).status == Delivery.Status.PROCESSED
    incident = Incident.objects.get()
    assert (incident.source, incident.external_id) == ("cdevents", "incident-123")
    assert (incident.title, incident.status) == ("Response time above threshold of 100ms", "resolved")
    assert (incident.environment, incident.url) == (
        "production",
        "https://my-issues.example/incidents/ticket-345",
    )
    assert incident.artifact_id == IMAGE
    assert list(incident.services.all()) == [myapp]
    assert [e.kind for e in incident.timeline.all()] == ["detected", "reported", "resolved"]


def test_it_records_a_merged_change_of_the_repository(source, myapp):
    delivery = deliver_cdevent(source, "change_merged.json")
    assert delivery.status == Delivery.Status.PROCESSED
    change = Change.objects.get()
    assert (change.service, change.repository, change.sha) == (myapp, "TestRepo/TestOrg", "mysubject123")
    assert change.merged_at.isoformat() == "2023-03-20T14:27:05.315384+00:00"
    assert change.provenance.level == "unknown"


def test_it_records_a_signed_artifact_as_build_provenance(source, myapp):
    delivery = deliver_cdevent(source, "artifact_signed.json")
    assert delivery.status == Delivery.Status.PROCESSED
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.result) == ("build_provenance", "passed")
    assert (evidence.change.service, evidence.change.sha) == (myapp, "234fd47e07d1004f0aed9c")


def test_it_links_a_signature_to_the_change_whose_full_sha_the_purl_abbreviates(source, myapp):
    change = ChangeFactory(service=myapp, sha="234fd47e07d1004f0aed9c" + "0" * 18)
    deliver_cdevent(source, "artifact_signed.json")
    assert Evidence.objects.get().change == change


@pytest.mark.parametrize("name", ["testsuiterun_finished.json", "pipelinerun_finished.json"])
def test_it_ignores_a_run_that_names_no_change(source, myapp, name):
    delivery = deliver_cdevent(source, name)
    event = name.removesuffix(".json").replace("_", ".")
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        f"{event} names no change: send customData with sha and repository, or artifactId",
    )


@pytest.mark.parametrize("name", ["testsuiterun_finished.json", "pipelinerun_finished.json"])
def test_it_records_a_failed_run_as_ci_evidence_of_the_change_in_custom_data(source, myapp, name):
    change = ChangeFactory(service=myapp, repository="TestRepo/TestOrg")
    event = fixture_json(f"cdevents/{name}")
    event["customData"] = {"repository": "TestRepo/TestOrg", "sha": change.sha}
    delivery = deliver_cdevent(source, name, json.dumps(event).encode())
    assert delivery.status == Delivery.Status.PROCESSED
    evidence = Evidence.objects.get()
    assert (evidence.change, evidence.kind, evidence.result, evidence.sha) == (
        change,
        "ci_tests",
        "failed",
        change.sha,
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("service_removed.json", "CDEvents service.removed is not used"),
        ("service_published.json", "CDEvents service.published is not used"),
        ("change_created.json", "CDEvents change.created is not used"),
        ("change_reviewed.json", "CDEvents change.reviewed is not used"),
        ("artifact_published.json", "CDEvents artifact.published is not used"),
        ("taskrun_finished.json", "CDEvents taskrun.finished is not used"),
    ],
)
def test_it_ignores_events_it_does_not_use(source, myapp, name, reason):
    delivery = deliver_cdevent(source, name)
    assert (delivery.status, delivery.error) == (Delivery.Status.IGNORED, reason)


def test_it_ends_the_same_whatever_order_deploy_signature_and_incident_arrive_in(source, myapp):
    from django.db import transaction

    names = [
        "artifact_signed.json",
        "service_deployed.json",
        "incident_resolved.json",
        "incident_detected.json",
    ]

    def replay(order):
        with transaction.atomic():
            for name in order:
                assert deliver_cdevent(source, name).status == Delivery.Status.PROCESSED
            result = (
                sorted((c.sha, c.title) for c in Change.objects.all()),
                sorted((e.change.sha, e.kind) for e in Evidence.objects.all()),
                sorted((d.change.sha, d.artifact_id, d.status) for d in Deployment.objects.all()),
                [
                    (i.title, i.status, i.started_at, i.resolved_at, i.artifact_id)
                    for i in Incident.objects.all()
                ],
            )
            transaction.set_rollback(True)
        return result

    assert replay(names) == replay(names[::-1]) == replay(names[1::2] + names[::2])
