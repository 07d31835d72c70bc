"""`manage.py analyze` and the change hook store every result with its computation time."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accountability.analysis.models import BlastRadius, Gap, PolicyResult, RiskAssessment
from accountability.analysis.services import change_analyze, changes_recompute
from accountability.incidents.models import SuspectChange
from tests.factories import (
    ChangeFactory,
    DependencyFactory,
    DeploymentFactory,
    IncidentFactory,
    OnCallShiftFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


def test_it_stores_radius_risk_policy_and_gaps_for_a_change_and_tolerates_a_missing_one():
    change = ChangeFactory()
    DeploymentFactory(change=change, environment="staging")
    DeploymentFactory(change=change)

    change_analyze(change_id=change.id)

    assert BlastRadius.objects.get(change=change).impacted_count == 1
    assert RiskAssessment.objects.get(change=change).score > 0
    assert set(PolicyResult.objects.filter(change=change).values_list("environment", "decision")) == {
        ("production", "deny"),
        ("staging", "deny"),
    }
    assert Gap.objects.filter(change=change, code="UNSIGNED_PRODUCTION_CHANGE").exists()
    assert change_analyze(change_id=change.id + 1000) is None


def test_it_runs_everything_from_the_command():
    change = ChangeFactory()
    deployment = DeploymentFactory(change=change)
    incident = IncidentFactory(started_at=deployment.finished_at)
    incident.services.set([change.service])
    out = StringIO()

    call_command("analyze", stdout=out)

    assert "Changes: 1 recomputed" in out.getvalue()
    assert RiskAssessment.objects.filter(change=change).exists()
    assert PolicyResult.objects.get(change=change).decision == "deny"
    assert SuspectChange.objects.get(incident=incident).change == change
    with pytest.raises(CommandError, match="There is no change"):
        call_command("analyze", change=change.id + 1000, stdout=out)


def test_it_stores_the_same_results_in_bulk_as_one_by_one():
    db = ServiceFactory(slug="db", tier=1)
    api = ServiceFactory(slug="api")
    DependencyFactory(from_service=api, to_service=db)
    OnCallShiftFactory(team=api.owner_team)
    first, second = ChangeFactory(service=db), ChangeFactory(service=db, additions=900)
    for change in (first, second):
        DeploymentFactory(change=change)

    changes_recompute(change_ids=[first.id, second.id])
    bulk = {
        change.id: (
            BlastRadius.objects.values("score", "impacted", "teams", "on_call").get(change=change),
            RiskAssessment.objects.values("score", "factors").get(change=change),
            PolicyResult.objects.values("decision", "controls").get(change=change, environment="production"),
        )
        for change in (first, second)
    }
    for change in (first, second):
        change_analyze(change_id=change.id)

    for change in (first, second):
        assert bulk[change.id] == (
            BlastRadius.objects.values("score", "impacted", "teams", "on_call").get(change=change),
            RiskAssessment.objects.values("score", "factors").get(change=change),
            PolicyResult.objects.values("decision", "controls").get(change=change, environment="production"),
        )
    assert [item["slug"] for item in bulk[first.id][0]["impacted"]] == ["db", "api"]
    assert bulk[second.id][1]["score"] > bulk[first.id][1]["score"]  # the larger diff adds points
