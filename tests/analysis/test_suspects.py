"""Suspect changes of an incident (DESIGN §12), ranked on hand-built timelines."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.suspects import suspects_refresh
from accountability.analysis.verdicts import suspect_confirm, suspect_rule_out
from accountability.audit.models import AuditEvent
from accountability.changes.models import Deployment
from accountability.incidents.models import SuspectChange
from tests.factories import (
    ChangeFactory,
    DependencyFactory,
    DeploymentFactory,
    IncidentEventFactory,
    IncidentFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """checkout depends on payments, payments depends on ledger; search stands apart."""
    ledger = ServiceFactory(slug="ledger")
    payments = ServiceFactory(slug="payments")
    checkout = ServiceFactory(slug="checkout")
    search = ServiceFactory(slug="search")
    DependencyFactory(from_service=checkout, to_service=payments)
    DependencyFactory(from_service=payments, to_service=ledger)
    return {"ledger": ledger, "payments": payments, "checkout": checkout, "search": search}


def deploy(
    service, *, hours_before, start, status=Deployment.Status.SUCCEEDED, environment="production", **extra
):
    change = ChangeFactory(service=service)
    finished = start - timedelta(hours=hours_before)
    DeploymentFactory(
        change=change,
        status=status,
        environment=environment,
        started_at=finished - timedelta(minutes=5),
        finished_at=finished,
        **extra,
    )
    return change


def test_it_ranks_by_time_proximity_and_graph_distance_with_reasons(org):
    start = timezone.now() - timedelta(hours=1)
    incident = IncidentFactory(started_at=start)
    incident.services.set([org["checkout"]])
    on_affected_recent = deploy(org["checkout"], hours_before=0.5, start=start)
    upstream_two_hops = deploy(org["ledger"], hours_before=0.5, start=start)
    on_affected_old = deploy(org["checkout"], hours_before=10, start=start)
    deploy(org["search"], hours_before=0.1, start=start)  # unrelated service
    deploy(org["checkout"], hours_before=30, start=start)  # before the 24 h window
    deploy(org["checkout"], hours_before=0.2, start=start, environment="staging")  # another environment

    rows = suspects_refresh(incident=incident)

    assert [row.change_id for row in rows] == [
        on_affected_recent.id,
        upstream_two_hops.id,
        on_affected_old.id,
    ]
    assert [row.rank for row in rows] == [1, 2, 3]
    top = {reason["code"]: reason["points"] for reason in rows[0].reasons}
    # 40 * 0.5^(0.5 h / 2 h) and 30 for zero hops
    # ... and what it is: paths unknown, so runtime code (6), and no rehearsed rollback (4).
    assert top == {
        "TIME_PROXIMITY": pytest.approx(33.64, abs=0.01),
        "GRAPH_DISTANCE": 30.0,
        "CHANGE_NATURE": 6.0,
        "ROLLBACK_NOT_REHEARSED": 4.0,
    }
    assert {reason["code"]: reason["points"] for reason in rows[1].reasons}["GRAPH_DISTANCE"] == 7.5


def test_it_finds_no_candidates_when_nothing_was_deployed(org):
    incident = IncidentFactory(started_at=timezone.now())
    incident.services.set([org["checkout"]])

    assert suspects_refresh(incident=incident) == []
    assert not SuspectChange.objects.exists()


def test_it_scores_artifact_match_mentions_and_rollbacks(org):
    start = timezone.now() - timedelta(hours=2)
    incident = IncidentFactory(started_at=start, artifact_id="pkg:oci/payments@sha256:abc")
    incident.services.set([org["payments"]])
    by_artifact = deploy(
        org["payments"], hours_before=3, start=start, artifact_id="pkg:oci/payments@sha256:abc"
    )
    named = deploy(org["payments"], hours_before=3, start=start)
    IncidentEventFactory(
        incident=incident, kind="annotated", summary=f"Suspected cause: payments@{named.sha[:7]}"
    )
    rolled_back_before = deploy(
        org["payments"], hours_before=3, start=start, status=Deployment.Status.ROLLED_BACK
    )

    rows = suspects_refresh(incident=incident)

    codes = {row.change_id: {reason["code"] for reason in row.reasons} for row in rows}
    assert "ARTIFACT_MATCH" in codes[by_artifact.id]
    assert "NAMED_IN_TIMELINE" in codes[named.id]
    assert "ROLLED_BACK_BEFORE" in codes[rolled_back_before.id]
    assert [row.change_id for row in rows] == [by_artifact.id, named.id, rolled_back_before.id]


def test_it_includes_a_deployment_still_in_progress(org):
    start = timezone.now() - timedelta(minutes=30)
    incident = IncidentFactory(started_at=start)
    incident.services.set([org["payments"]])
    change = ChangeFactory(service=org["payments"])
    DeploymentFactory(
        change=change,
        status=Deployment.Status.IN_PROGRESS,
        started_at=start - timedelta(minutes=10),
        finished_at=None,
    )

    rows = suspects_refresh(incident=incident)

    assert [row.change_id for row in rows] == [change.id]
    assert rows[0].reasons[0]["sentence"] == "Deployed 10 min before the incident started."


def test_it_audits_confirm_and_rule_out_and_keeps_verdicts_through_a_recompute(org):
    start = timezone.now() - timedelta(hours=1)
    incident = IncidentFactory(started_at=start)
    incident.services.set([org["payments"]])
    cause = deploy(org["payments"], hours_before=1, start=start)
    innocent = deploy(org["payments"], hours_before=2, start=start)
    commander = UserFactory(username="commander")
    rows = {row.change_id: row for row in suspects_refresh(incident=incident)}

    suspect_confirm(suspect=rows[cause.id], user=commander, note="Reverting fixed it")
    suspect_rule_out(suspect=rows[innocent.id], user=commander)
    # The innocent deployment's record disappears (e.g. corrected by the source); its verdict stays.
    Deployment.objects.filter(change=innocent).delete()
    suspects_refresh(incident=incident)

    stored = {row.change_id: row for row in SuspectChange.objects.filter(incident=incident)}
    assert stored[cause.id].verdict == "confirmed"
    assert stored[cause.id].verdict_by == commander
    assert stored[cause.id].verdict_note == "Reverting fixed it"
    assert stored[innocent.id].verdict == "ruled_out"
    assert (stored[cause.id].rank, stored[innocent.id].rank) == (1, 2)
    assert list(
        AuditEvent.objects.order_by("id").values_list("action", "actor__username", "detail__change")
    ) == [
        ("suspect.confirmed", "commander", cause.id),
        ("suspect.ruled_out", "commander", innocent.id),
    ]
