from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accountability.analysis.gaps import gap_acknowledge
from accountability.analysis.models import Gap, MetricSnapshot
from tests.factories import PersonFactory, ServiceFactory, TeamFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', name='reader')}"
    return client


def gap(**fields):
    now = timezone.now()
    defaults = {"severity": "high", "sentence": "A gap.", "first_seen": now, "last_seen": now}
    return Gap.objects.create(**{**defaults, **fields})


def test_it_credits_an_acknowledgement_to_the_person_and_names_the_login(read_client):
    user = user_with_role("viewer", username="mgr", person=PersonFactory(name="Mona Manager"))
    acknowledged = gap(code="SERVICE_NO_OWNER", service=ServiceFactory())
    gap_acknowledge(gap=acknowledged, user=user, note="Hiring")

    item = read_client.get("/api/v1/gaps").json()["items"][0]

    assert (item["acknowledged_by"], item["acknowledged_by_login"]) == ("Mona Manager", "mgr")
    assert item["acknowledgement_note"] == "Hiring"


def test_it_lists_open_gaps_with_their_subject_and_filters_them(read_client):
    team = TeamFactory(slug="core")
    service = ServiceFactory(slug="payments", owner_team=team)
    no_owner = gap(
        code="SERVICE_NO_OWNER", service=service, accountable_team=team, sentence="Nobody owns it."
    )
    gap(code="TEAM_NO_ONCALL", team=team, severity="medium", first_seen=timezone.now() - timedelta(hours=1))
    gap(code="OWNERSHIP_STALE", service=service, resolved_at=timezone.now())

    body = read_client.get("/api/v1/gaps").json()

    assert [g["code"] for g in body["items"]] == ["SERVICE_NO_OWNER", "TEAM_NO_ONCALL"]
    assert body["items"][0] == {
        "id": no_owner.id,
        "code": "SERVICE_NO_OWNER",
        "severity": "high",
        "sentence": "Nobody owns it.",
        "service": "payments",
        "team": None,
        "change_id": None,
        "person": None,
        "accountable_team": "core",
        "first_seen": body["items"][0]["first_seen"],
        "last_seen": body["items"][0]["last_seen"],
        "resolved_at": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "acknowledged_by_login": None,
        "acknowledgement_note": "",
    }
    assert [g["code"] for g in read_client.get("/api/v1/gaps?severity=medium").json()["items"]] == [
        "TEAM_NO_ONCALL"
    ]
    assert [g["code"] for g in read_client.get("/api/v1/gaps?open=false").json()["items"]] == [
        "OWNERSHIP_STALE"
    ]
    assert read_client.get("/api/v1/gaps?code=NOT_A_CODE").status_code == 422


def test_it_gives_the_latest_periods_metrics_by_ai_level_with_their_intervals(read_client):
    computed = timezone.now()

    def snapshot(level, start, **fields):
        return MetricSnapshot.objects.create(
            scope="organisation",
            period_start=start,
            period_end=start + timedelta(days=30),
            ai_level=level,
            deployments=40,
            deploys_per_week=10.0,
            computed_at=computed,
            **fields,
        )

    october, november = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    snapshot("all", october)
    snapshot(
        "assisted",
        november,
        failures=6,
        failure_rate=0.15,
        failure_rate_low=0.07,
        failure_rate_high=0.29,
        enough_data=True,
    )
    snapshot("all", november, failures=8, failure_rate=0.2, enough_data=True)

    body = read_client.get("/api/v1/metrics").json()

    assert (body["scope"], body["subject"]) == ("organisation", None)
    assert body["period_start"].startswith("2026-11-01")
    assert [row["ai_level"] for row in body["rows"]] == ["all", "assisted"]
    assert body["rows"][1]["failure_rate_low"] == 0.07
    assert read_client.get("/api/v1/metrics?month=2026-10").json()["period_start"].startswith("2026-10-01")
    assert read_client.get("/api/v1/metrics?team=core").json()["rows"] == []


def test_it_refuses_a_team_and_a_service_at_once(read_client):
    response = read_client.get("/api/v1/metrics?team=a&service=b")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "query.service", "message": "give a team or a service, not both"}
    ]


def test_it_lists_gaps_in_a_fixed_number_of_queries(read_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_gaps():
        team = TeamFactory()
        gap(code="SERVICE_NO_OWNER", service=ServiceFactory(owner_team=team), accountable_team=team)
        gap(code="TEAM_NO_ONCALL", team=team, accountable_team=team)

    add_gaps()
    read_client.get("/api/v1/gaps")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get("/api/v1/gaps").status_code == 200
        return len(queries)

    few = count()
    for _ in range(10):
        add_gaps()

    assert count() == few


def test_it_gives_metrics_in_a_fixed_number_of_queries(read_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = datetime(2026, 11, 1, tzinfo=UTC)

    def snapshot(level):
        MetricSnapshot.objects.create(
            scope="organisation",
            period_start=start,
            period_end=start + timedelta(days=30),
            ai_level=level,
            deployments=1,
            deploys_per_week=1.0,
            computed_at=timezone.now(),
        )

    snapshot("all")
    read_client.get("/api/v1/metrics")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get("/api/v1/metrics").status_code == 200
        return len(queries)

    few = count()
    for level in ["none", "assisted", "majority", "generated", "unknown"]:
        snapshot(level)

    assert count() == few
