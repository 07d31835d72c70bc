"""The PagerDuty REST pull job against a local server answering in PagerDuty's format."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug import Response

from accountability.catalog.models import OnCallShift, Person
from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.pull_runner import source_pull
from tests.factories import OnCallShiftFactory, PersonFactory, ServiceFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db

PAGERDUTY = (
    Path(__file__).resolve().parent.parent / "fixtures" / "pagerduty" / "developer-docs" / "webhooks-v3"
)


def sample(name: str) -> dict:
    return json.loads((PAGERDUTY / name).read_text())


def incident(number: int, status: str = "triggered") -> dict:
    # The Webhooks V3 incident object is the REST API's incident representation.
    data = sample("wh-04-incident.json")
    data.update(id=f"PINC{number}", number=number, status=status, title=f"Incident {number}")
    data["last_status_change_at"] = f"2026-11-20T10:{number:02d}:00Z"
    return data


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def oncall(user_id: str, email: str, start: datetime | None, end: datetime | None, level: int = 1) -> dict:
    return {
        "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference", "summary": "Payments"},
        "escalation_level": level,
        "schedule": {"id": "PSCHED1", "type": "schedule_reference", "summary": "Payments primary"},
        "user": {"id": user_id, "type": "user", "name": f"User {user_id}", "email": email},
        "start": at(start) if start else None,
        "end": at(end) if end else None,
    }


def page(key: str, items: list, offset: int, more: bool) -> dict:
    return {key: items, "limit": 100, "offset": offset, "more": more, "total": None}


class Pages:
    """Answers an offset-paginated PagerDuty list; `fail_at` makes the page at that offset fail once."""

    def __init__(self, key: str, pages: list[list], fail_at: int | None = None, status: int = 401):
        self.key, self.pages, self.fail_at, self.status = key, pages, fail_at, status
        self.offsets: list[int] = []

    def __call__(self, request):
        offset = int(request.args.get("offset", 0))
        self.offsets.append(offset)
        if offset == self.fail_at:
            self.fail_at = None
            return Response(json.dumps({"error": {"message": "nope"}}), status=self.status)
        start, index = 0, 0
        while start < offset:
            start += len(self.pages[index])
            index += 1
        more = index < len(self.pages) - 1
        return Response(
            json.dumps(page(self.key, self.pages[index], offset, more)), content_type="application/json"
        )


@pytest.fixture
def source(httpserver):
    return SourceFactory(
        kind=Source.Kind.PAGERDUTY,
        name="pagerduty-pull",
        url=httpserver.url_for("/").rstrip("/"),
        token="pd_test_key",
        pull_every_minutes=5,
    )


def serve(httpserver, *, incidents=None, oncalls=None, services=None):
    httpserver.expect_request("/incidents").respond_with_handler(incidents or Pages("incidents", [[]]))
    httpserver.expect_request("/oncalls").respond_with_handler(oncalls or Pages("oncalls", [[]]))
    httpserver.expect_request("/services").respond_with_handler(services or Pages("services", [[]]))


def process_all():
    for delivery_id in Delivery.objects.order_by("id").values_list("id", flat=True):
        delivery_process(delivery_id=delivery_id)


def test_it_pulls_incidents_page_by_page_into_incidents(httpserver, source):
    ServiceFactory(slug="api", pagerduty_service_id="PF9KMXH")
    incidents = Pages("incidents", [[incident(1), incident(2, "acknowledged")], [incident(3, "resolved")]])
    serve(httpserver, incidents=incidents)

    source_pull(source_id=source.id)
    process_all()

    assert incidents.offsets == [0, 2]
    assert dict(Incident.objects.values_list("external_id", "status")) == {
        "PINC1": "triggered",
        "PINC2": "acknowledged",
        "PINC3": "resolved",
    }
    assert list(Incident.objects.get(external_id="PINC1").services.values_list("slug", flat=True)) == ["api"]
    assert httpserver.log[0][0].headers["Authorization"] == "Token token=pd_test_key"
    source.refresh_from_db()
    assert list(source.cursor["incidents"]) == ["last_until"]
    assert source.last_success_at is not None


def test_it_resumes_the_incident_window_after_a_failure_mid_way(httpserver, source):
    incidents = Pages("incidents", [[incident(1), incident(2)], [incident(3)]], fail_at=2)
    serve(httpserver, incidents=incidents)

    assert source_pull(source_id=source.id) is None
    source.refresh_from_db()
    window = source.cursor["incidents"]
    assert window["offset"] == 2
    assert "answered 401" in source.last_error

    source_pull(source_id=source.id)

    assert incidents.offsets == [0, 2, 2]  # the second run asked for the failed page, not the first again
    requests = [r for r, _ in httpserver.log if r.path == "/incidents"]
    assert {r.args["since"] for r in requests} == {window["since"]}  # the same window
    assert Delivery.objects.filter(external_id__startswith="pull:incident:").count() == 3


def test_it_backs_off_on_429_with_retry_after(httpserver, source):
    httpserver.expect_oneshot_request("/incidents").respond_with_response(
        Response('{"error": {"message": "Rate Limit Exceeded"}}', status=429, headers={"Retry-After": "1"})
    )
    serve(httpserver)

    started = time.monotonic()
    source_pull(source_id=source.id)

    assert time.monotonic() - started >= 1
    assert [r.path for r, _ in httpserver.log].count("/incidents") == 2
    source.refresh_from_db()
    assert source.last_error == ""


def test_it_maps_on_calls_to_shifts_of_the_team_owning_the_schedule(httpserver, source):
    team = TeamFactory(slug="payments", pagerduty_schedule_id="PSCHED1")
    known = PersonFactory(pagerduty_user_id="PUSER1", email="alice@example.com")
    now = datetime.now(UTC).replace(microsecond=0)
    oncalls = Pages(
        "oncalls",
        [
            [oncall("PUSER1", "alice@example.com", now - timedelta(hours=2), now + timedelta(hours=10))],
            [oncall("PUSER2", "bob@example.com", now + timedelta(hours=10), now + timedelta(hours=22))],
        ],
    )
    serve(httpserver, oncalls=oncalls)

    source_pull(source_id=source.id)
    process_all()

    shifts = OnCallShift.objects.order_by("start")
    assert [(s.person.email, s.team, s.schedule_id, s.record_source) for s in shifts] == [
        ("alice@example.com", team, "PSCHED1", "pagerduty"),
        ("bob@example.com", team, "PSCHED1", "pagerduty"),
    ]
    assert shifts[0].person == known
    assert Person.objects.get(email="bob@example.com").pagerduty_user_id == "PUSER2"
    request = next(r for r, _ in httpserver.log if r.path == "/oncalls")
    assert request.args["include[]"] == "users"


def test_it_replaces_swapped_shifts_and_keeps_hand_entered_ones(httpserver, source):
    team = TeamFactory(pagerduty_schedule_id="PSCHED1")
    now = datetime.now(UTC).replace(microsecond=0)
    swapped = OnCallShiftFactory(team=team, schedule_id="PSCHED1", record_source="pagerduty")
    manual = OnCallShiftFactory(team=team, record_source="manual")
    serve(
        httpserver,
        oncalls=Pages("oncalls", [[oncall("PUSER9", "carol@example.com", now, now + timedelta(hours=8))]]),
    )

    source_pull(source_id=source.id)
    process_all()

    assert not OnCallShift.objects.filter(pk=swapped.pk).exists()
    assert OnCallShift.objects.filter(pk=manual.pk).exists()
    assert OnCallShift.objects.filter(person__email="carol@example.com").count() == 1


def test_it_links_pagerduty_services_to_ours(httpserver, source):
    service = ServiceFactory(name="testing service updates", slug="testing")
    pd_service = {**sample("wh-13-service.json"), "escalation_policy": {"id": "PEP7"}}
    serve(httpserver, services=Pages("services", [[pd_service]]))

    source_pull(source_id=source.id)
    process_all()

    service.refresh_from_db()
    service.owner_team.refresh_from_db()
    assert service.pagerduty_service_id == "PF9KMXH"
    assert service.owner_team.pagerduty_escalation_policy_id == "PEP7"


def test_it_stores_an_unchanged_snapshot_once(httpserver, source):
    serve(httpserver, services=Pages("services", [[sample("wh-13-service.json")]]))

    source_pull(source_id=source.id)
    source_pull(source_id=source.id)

    assert Delivery.objects.filter(event_type="pagerduty.services.pulled").count() == 1
