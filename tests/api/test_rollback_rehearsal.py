import json
from datetime import UTC, datetime

import pytest

from accountability.changes.models import Evidence, RollbackPlan
from tests.factories import ChangeFactory, PersonFactory, RollbackPlanFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def change():
    return ChangeFactory(service=ServiceFactory(slug="payments"), sha="ab" * 20)


def rehearse(client, change, body):
    return client.post(
        f"/api/v1/changes/payments/{change.sha}/rollback-rehearsals",
        json.dumps(body),
        content_type="application/json",
    )


def test_it_records_a_passing_rehearsal_on_the_change_plan(ci_client, change):
    dave = PersonFactory(github_login="dave")
    plan = RollbackPlanFactory(change=change)

    response = rehearse(
        ci_client,
        change,
        {"result": "passed", "at": "2026-11-22T08:00:00Z", "by": "dave", "duration_minutes": 6},
    )

    assert response.status_code == 201
    plan.refresh_from_db()
    assert plan.last_rehearsed_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert plan.last_rehearsed_by == dave
    evidence = change.evidence.get()
    assert (evidence.kind, evidence.result) == (Evidence.Kind.ROLLBACK_REHEARSAL, "passed")
    assert evidence.detail == "environment staging took 6 min"


def test_it_dates_the_service_default_plan_when_the_change_has_none(ci_client, change):
    default = RollbackPlan.objects.create(service=change.service, strategy="redeploy_previous")

    rehearse(ci_client, change, {"result": "passed", "at": "2026-11-22T08:00:00Z"})

    default.refresh_from_db()
    assert default.last_rehearsed_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_it_does_not_date_the_plan_for_a_failed_rehearsal(ci_client, change):
    plan = RollbackPlanFactory(change=change)

    rehearse(ci_client, change, {"result": "failed", "at": "2026-11-22T08:00:00Z"})

    plan.refresh_from_db()
    assert plan.last_rehearsed_at is None
    assert change.evidence.get().result == "failed"


def test_it_keeps_the_latest_rehearsal_date(ci_client, change):
    plan = RollbackPlanFactory(change=change)

    rehearse(ci_client, change, {"result": "passed", "at": "2026-11-22T08:00:00Z"})
    rehearse(ci_client, change, {"result": "passed", "at": "2026-11-01T08:00:00Z"})

    plan.refresh_from_db()
    assert plan.last_rehearsed_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert change.evidence.count() == 2
