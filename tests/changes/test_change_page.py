"""The change page: what exactly the owner signs for."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.models import BlastRadius, RiskAssessment
from accountability.changes.ledger import signoff_append
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    EvidenceFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client):
    client.force_login(user_with_role("viewer"))
    return client


@pytest.fixture
def change():
    service = ServiceFactory(name="Payments API", slug="payments-api", tier=1)
    change = ChangeFactory(service=service, title="Retry slow queries", author_logins=["alice"])
    AIProvenanceFactory(
        change=change,
        level="majority",
        ai_share="0.7500",
        tools=["claude-code"],
        ai_models=["claude-sonnet-4"],
        driver_logins=["alice"],
        confidence="line_level",
        ai_lines={"src/payments/search.py": [[10, 42], [50, 61]]},
    )
    RollbackPlanFactory(
        change=change, steps="kubectl rollout undo deploy/payments-api", data_reversible=False
    )
    RiskAssessment.objects.create(
        change=change,
        score=62,
        factors=[{"code": "AI_UNVERIFIED", "points": 20, "sentence": "Mostly AI-written without a canary."}],
        computed_at=timezone.now(),
    )
    return change


def blast(change, services):
    impacted = [
        {
            "service_id": s.pk,
            "slug": s.slug,
            "name": s.name,
            "tier": s.tier,
            "depth": depth,
            "path": [change.service.slug, *([s.slug] if depth else [])],
            "weight": 1.0 / (depth + 1),
            "dependencies_known": True,
            "via_datastore": None,
        }
        for depth, s in [(0, change.service), *((1, s) for s in services)]
    ]
    return BlastRadius.objects.create(
        change=change, score=2.5, impacted=impacted, impacted_count=len(impacted), computed_at=timezone.now()
    )


def test_it_shows_provenance_down_to_the_ai_written_lines(viewer_client, change):
    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "majority 75%" in body
    assert "claude-code" in body and "claude-sonnet-4" in body
    assert "src/payments/search.py</a>" in body
    assert '#L10-L42" rel="noopener">10\u201342</a>, <a' in body
    assert '#L50-L61" rel="noopener">50\u201361</a>' in body


def test_it_says_why_each_piece_of_evidence_counts_or_not(viewer_client, change):
    EvidenceFactory(change=change, kind="human_review", actor_login="alice", url="https://github.com/r/1")
    EvidenceFactory(change=change, kind="ci_tests", url="")
    EvidenceFactory(change=change, kind="canary_analysis", result="failed")

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "a self-review does not count" in body
    assert "no link to check it" in body
    assert "It failed." in body


def test_it_shows_the_blast_radius_as_a_graph_and_a_list(viewer_client, change):
    checkout = ServiceFactory(name="Checkout web", slug="checkout-web", tier=1)
    blast(change, [checkout])

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "<svg" in body and 'href="/services/checkout-web/"' in body
    assert "2</strong> services impacted" in body
    assert "payments-api ← checkout-web" in body


def test_it_says_when_analysis_has_not_run_yet(viewer_client):
    bare = ChangeFactory()

    body = viewer_client.get(f"/changes/{bare.pk}/").content.decode()

    assert "Not computed yet: the analysis worker has not processed this change." in body
    assert "risk not computed yet" in body
    assert "No provenance signal was found. Unknown is not none." in body


def test_it_shows_rollback_plan_risk_factors_and_sign_off_history(viewer_client, change):
    signer = PersonFactory(name="Olga Owner")
    signoff_append(
        change=change, signer=signer, decision="approve", override_reason="Hotfix", policy_decision="deny"
    )

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "kubectl rollout undo deploy/payments-api" in body and "data NOT reversible" in body
    assert "AI-written, no canary or QA" in body and "AI_UNVERIFIED" not in body and "+20" in body
    assert "approve</strong> by Olga Owner" in body and "Override:</strong> Hotfix" in body
    assert "ledger verified" in body


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_it_runs_the_same_number_of_queries_however_much_it_shows(viewer_client, change):
    signer = PersonFactory()
    EvidenceFactory(change=change)
    signoff_append(change=change, signer=signer, decision="approve")
    blast(change, [ServiceFactory()])
    few = count_queries(viewer_client, f"/changes/{change.pk}/")

    for _ in range(10):
        EvidenceFactory(change=change)
    for _ in range(5):
        signoff_append(change=change, signer=PersonFactory(), decision="approve")
    BlastRadius.objects.filter(change=change).delete()
    blast(change, [ServiceFactory() for _ in range(20)])
    many = count_queries(viewer_client, f"/changes/{change.pk}/")

    assert many == few


def test_it_shows_the_deploy_gate_decisions(viewer_client, change):
    from accountability.api.models import GateDecision

    GateDecision.objects.create(
        change=change,
        service=change.service,
        service_slug=change.service.slug,
        sha=change.sha,
        environment="production",
        decision="deny",
        controls=[
            {"code": "human_review", "passed": False, "sentence": "Nobody but the authors reviewed it."}
        ],
        policy_version=1,
        requested_by="github:acme/payments-api",
        at=timezone.now(),
    )

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "github:acme/payments-api" in body and "Nobody but the authors reviewed it." in body


def test_it_names_the_rule_that_fired_with_its_source_and_the_earlier_verdicts(viewer_client):
    from accountability.changes.provenance import provenance_refresh
    from tests.factories import CommitFactory, ProvenanceHistoryFactory

    change = ChangeFactory()
    CommitFactory(change=change, message="Fix\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n")
    provenance_refresh(change=change)
    ProvenanceHistoryFactory(change=change, level="unknown", registry_version="2026.01.01-1")

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "email: cursoragent@cursor.com" in body
    assert 'href="https://docs.cursor.com/background-agent"' in body
    assert "unknown under registry 2026.01.01-1" in body
