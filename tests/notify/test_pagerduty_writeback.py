"""PagerDuty hears from the product: a change event per production deployment, a note on each incident."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from accountability.analysis.tasks import change_analyze_task
from accountability.ingest.models import Source
from accountability.notify.models import Notification, PagerDutyIntegration
from accountability.notify.triggers import incident_notify
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    IncidentFactory,
    PersonFactory,
    ServiceFactory,
    SourceFactory,
    SuspectChangeFactory,
    TeamFactory,
)
from tests.ingest.conftest import FIXTURES

pytestmark = pytest.mark.django_db

DOCUMENTED = json.loads(
    (FIXTURES / "pagerduty/api-schema/events-v2-change-example.build-change-event.json").read_text()
)


@pytest.fixture
def pagerduty(httpserver, settings):
    settings.PAGERDUTY_EVENTS_URL = httpserver.url_for("").rstrip("/")
    settings.PAGERDUTY_FROM_EMAIL = "bot@example.com"
    calls = []

    def record(request):
        calls.append((request.path, dict(request.headers), json.loads(request.get_data())))
        if request.path.endswith("/notes"):
            return Response(
                json.dumps({"note": {"id": "PWL7QXS"}}), status=201, content_type="application/json"
            )
        return Response(json.dumps({"status": "success", "message": "Change event processed"}), status=202)

    httpserver.expect_request("/v2/change/enqueue", method="POST").respond_with_handler(record)
    httpserver.expect_request("/incidents/PGR0VU2/notes", method="POST").respond_with_handler(record)
    return calls


def test_a_production_deployment_becomes_one_change_event_naming_the_owner(
    pagerduty, eager_tasks, django_capture_on_commit_callbacks
):
    service = ServiceFactory(
        slug="payments-api", name="Payments API", owner_of_record=PersonFactory(name="Jane Doe")
    )
    PagerDutyIntegration.objects.create(service=service, routing_key="737ea619db564d41bd9824063e1f6b08")
    change = ChangeFactory(service=service, title="Retry card captures twice")
    AIProvenanceFactory(change=change, level="majority", ai_share=0.7)
    DeploymentFactory(change=change, environment="production")
    DeploymentFactory(change=change, environment="staging")

    for _ in range(2):  # analysed again after a later write
        with django_capture_on_commit_callbacks(execute=True):
            change_analyze_task(change.pk)

    [(path, _, event)] = pagerduty
    assert path == "/v2/change/enqueue"
    assert set(event) <= set(DOCUMENTED) and {"routing_key", "payload", "links"} <= set(event)
    assert set(event["payload"]) <= set(DOCUMENTED["payload"])
    assert event["routing_key"] == "737ea619db564d41bd9824063e1f6b08"
    assert event["payload"]["summary"] == "Deployed to production: Payments API — Retry card captures twice"
    details = event["payload"]["custom_details"]
    assert (details["owner_of_record"], details["ai_level"], details["ai_share"]) == (
        "Jane Doe",
        "majority",
        0.7,
    )
    assert event["links"][0]["href"].endswith(f"/changes/{change.pk}/")
    # The key never lands in the outbox.
    assert "737ea619" not in Notification.objects.get().body


def test_an_old_deployment_is_history_not_a_recent_change(
    pagerduty, eager_tasks, django_capture_on_commit_callbacks
):
    service = ServiceFactory()
    PagerDutyIntegration.objects.create(service=service, routing_key="k")
    change = ChangeFactory(service=service)
    DeploymentFactory(change=change, finished_at=timezone.now() - timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        change_analyze_task(change.pk)

    assert pagerduty == []


def test_an_incident_gets_a_note_with_the_owner_and_the_suspects(
    pagerduty, httpserver, eager_tasks, django_capture_on_commit_callbacks
):
    SourceFactory(kind=Source.Kind.PAGERDUTY, token="u+pd-rest-key", url=httpserver.url_for("").rstrip("/"))
    team = TeamFactory(name="Payments")
    service = ServiceFactory(
        name="API Service", owner_team=team, owner_of_record=PersonFactory(name="Jane Doe")
    )
    incident = IncidentFactory(source="pagerduty", external_id="PGR0VU2", title="A little bump in the road")
    incident.services.add(service)
    SuspectChangeFactory(
        incident=incident, change=ChangeFactory(service=service, title="Retry card captures twice")
    )

    with django_capture_on_commit_callbacks(execute=True):
        incident_notify(incident=incident)

    [(path, headers, body)] = pagerduty
    assert path == "/incidents/PGR0VU2/notes"
    assert headers["Authorization"] == "Token token=u+pd-rest-key"
    assert headers["From"] == "bot@example.com"
    assert "owner of record Jane Doe" in body["note"]["content"]
    assert "Retry card captures twice" in body["note"]["content"]
    assert Notification.objects.get().external_id == "PWL7QXS"
