"""Issue 14, item 7: links are http(s) only, on-call only from the REST pull, a delivery the database cannot
store fails instead of retrying forever, pull jobs refuse internal hosts and never echo an answer."""

import json

import pytest
from django.db import connection

from accountability.catalog.importers.backstage import catalog_import
from accountability.catalog.links import link_or_blank
from accountability.catalog.models import OnCallShift, Service
from accountability.changes.models import Change, Deployment
from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.pull_runner import source_pull
from tests.factories import PersonFactory, ServiceFactory, SourceFactory, TeamFactory
from tests.ingest.conftest import SECRET, deliver, deliver_github, fixture_json, post, sign

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>x</script>",
    "//evil.example/x",
    "ftp://x/y",
]


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://github.com/acme/x/pull/1", True),
        ("http://ci.example/1", True),
        *[(h, False) for h in HOSTILE],
    ],
)
def test_only_http_links_are_kept(value, kept):
    assert link_or_blank(value) == (value if kept else "")


def test_github_html_urls_and_deployment_urls_are_not_stored_unless_http(hello_world_with_hostile_links):
    change = Change.objects.get()
    deployment = Deployment.objects.get()
    assert change.pr_url == ""
    assert deployment.url == ""


@pytest.fixture
def hello_world_with_hostile_links():
    source = SourceFactory(kind=Source.Kind.GITHUB)
    ServiceFactory(repositories=["Codertocat/Hello-World"])
    deployment = fixture_json("github/deployment/00-created.json")
    deployment["deployment"]["url"] = "javascript:alert(1)"
    deployment["repository"]["html_url"] = "javascript:alert(2)"
    deliver_github(source, "", event="deployment", delivery_id="d-1", body=json.dumps(deployment).encode())
    return source


def test_a_pagerduty_webhook_cannot_rewrite_the_on_call_rota(client):
    SourceFactory(kind=Source.Kind.PAGERDUTY, name="pd", secret=SECRET)
    team = TeamFactory(pagerduty_schedule_id="PSCHED1")
    PersonFactory(pagerduty_user_id="PMALLORY")
    body = json.dumps(
        {
            "event": {
                "id": "01FAKEONCALLS",
                "event_type": "pagey.ping",
                "resource_type": "oncalls",
                "occurred_at": "2026-12-01T00:00:00Z",
                "data": {
                    "since": "2026-12-01T00:00:00Z",
                    "until": "2026-12-08T00:00:00Z",
                    "oncalls": [
                        {
                            "user": {"id": "PMALLORY"},
                            "schedule": {"id": "PSCHED1"},
                            "escalation_level": 1,
                            "start": "2026-12-01T00:00:00Z",
                            "end": "2026-12-08T00:00:00Z",
                        }
                    ],
                },
            }
        }
    ).encode()

    response = post(
        client, "/webhooks/pagerduty/pd/", body, {"HTTP_X_PAGERDUTY_SIGNATURE": f"v1={sign(body)}"}
    )

    assert response.status_code == 202
    delivery = Delivery.objects.get(external_id="01FAKEONCALLS")
    delivery_process(delivery_id=delivery.id)  # what the worker does after the commit
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.IGNORED
    assert "only from the REST pull" in delivery.error
    assert not OnCallShift.objects.filter(team=team).exists()


def test_a_webhook_cannot_claim_to_be_a_pull(client):
    SourceFactory(kind=Source.Kind.PAGERDUTY, name="pd", secret=SECRET)
    body = json.dumps(
        {
            "event": {
                "id": "01X",
                "event_type": "pagey.ping",
                "resource_type": "oncalls",
                "occurred_at": "2026-12-01T00:00:00Z",
                "data": {},
            }
        }
    )

    post(
        client,
        "/webhooks/pagerduty/pd/",
        body.encode(),
        {"HTTP_X_PAGERDUTY_SIGNATURE": f"v1={sign(body.encode())}", "HTTP_X_ACCOUNTABILITY_PULLED": "1"},
    )

    delivery = Delivery.objects.get(external_id="01X")
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert "x-accountability-pulled" not in delivery.headers
    assert delivery.status == Delivery.Status.IGNORED


def test_a_value_the_database_cannot_index_fails_the_delivery_with_the_reason():
    """PostgreSQL's index row limit is an OperationalError, like the transient ones; it must not retry."""
    source = SourceFactory(kind=Source.Kind.GITHUB)
    ServiceFactory(repositories=["Codertocat/Hello-World"])
    with connection.cursor() as cursor:
        # The error PostgreSQL raises for an index row over its limit (SQLSTATE 54000), from a real statement.
        cursor.execute(
            "CREATE FUNCTION pg_temp.too_big() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'index row size 9000 exceeds btree version 4 maximum 2704' "
            "USING ERRCODE = 'program_limit_exceeded'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER too_big BEFORE INSERT ON changes_deployment "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.too_big()"
        )

    delivery = deliver_github(source, "github/deployment/00-created.json", event="deployment")

    assert delivery.status == Delivery.Status.FAILED
    assert "index row size" in delivery.error
    assert delivery.attempts == 1


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/"]
)
def test_a_pull_job_refuses_internal_hosts(settings, url):
    settings.PULL_ALLOWED_HOSTS = set()
    source = SourceFactory(
        kind=Source.Kind.CODEOWNERS, url=url, config={"repositories": ["acme/x"]}, token="s3cret-token"
    )

    source_pull(source_id=source.id)

    source.refresh_from_db()
    assert "internal address" in source.last_error
    assert source.last_success_at is None


def test_a_pull_job_does_not_echo_what_the_host_answered(httpserver):
    source = SourceFactory(
        kind=Source.Kind.CODEOWNERS,
        url=httpserver.url_for("/").rstrip("/"),
        config={"repositories": ["acme/x"]},
    )
    httpserver.expect_request("/acme/x/HEAD/.github/CODEOWNERS").respond_with_data(
        "ami-secret-credentials", status=403
    )

    source_pull(source_id=source.id)

    source.refresh_from_db()
    assert "answered 403" in source.last_error
    assert "ami-secret-credentials" not in source.last_error


def test_a_backstage_runbook_link_must_be_http():
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "payments", "links": [{"title": "Runbook", "url": "javascript:alert(1)"}]},
        "spec": {"type": "service", "lifecycle": "production"},
    }

    catalog_import(entities=[entity])

    assert Service.objects.get(slug="payments").runbook_url == ""


def test_a_cdevents_ticket_uri_must_be_http():
    source = SourceFactory(kind=Source.Kind.CDEVENTS)
    ServiceFactory(slug="myapp", repositories=["TestRepo/TestOrg"])
    event = fixture_json("cdevents/incident_reported.json")
    event["subject"]["content"]["ticketURI"] = "javascript:alert(1)"

    delivery = deliver(source, json.dumps(event).encode(), headers={}, external_id="cd-1")

    assert delivery.status == Delivery.Status.PROCESSED
    assert Incident.objects.get().url == ""
