import json

import pytest

from accountability.audit.models import AuditEvent
from accountability.changes.models import Evidence
from tests.factories import ChangeFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def change():
    return ChangeFactory(service=ServiceFactory(slug="payments"), sha="ab" * 20)


def attach(client, service, sha, body, **headers):
    return client.post(
        f"/api/v1/changes/{service}/{sha}/evidence",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_it_attaches_evidence_to_a_registered_change(ci_client, change):
    carol = PersonFactory(github_login="carol")
    body = {
        "evidence": [
            {
                "kind": "canary_analysis",
                "result": "warned",
                "url": "https://kayenta.example.com/7",
                "id": "k-7",
            },
            {"kind": "manual_qa", "result": "passed", "actor": "carol", "at": "2026-11-21T09:30:00Z"},
        ]
    }

    response = attach(ci_client, "payments", change.sha, body)

    assert response.status_code == 201
    assert response.json()["change_id"] == change.id
    canary = change.evidence.get(kind="canary_analysis")
    assert (canary.result, canary.url, canary.external_id, canary.source) == (
        "warned",
        "https://kayenta.example.com/7",
        "k-7",
        "api",
    )
    qa = change.evidence.get(kind="manual_qa")
    assert qa.recorded_by == carol
    assert qa.at.isoformat() == "2026-11-21T09:30:00+00:00"
    assert AuditEvent.objects.filter(action="api.evidence.attached", object_id=str(change.id)).exists()


def test_it_updates_evidence_sent_again_with_the_same_id(ci_client, change):
    attach(
        ci_client,
        "payments",
        change.sha,
        {"evidence": [{"kind": "load_test", "result": "failed", "id": "lt"}]},
    )
    attach(
        ci_client,
        "payments",
        change.sha,
        {"evidence": [{"kind": "load_test", "result": "passed", "id": "lt"}]},
    )

    assert list(change.evidence.values_list("result", flat=True)) == ["passed"]


def test_it_answers_404_for_an_unknown_change(ci_client, change):
    response = attach(
        ci_client, "payments", "cd" * 20, {"evidence": [{"kind": "ci_tests", "result": "passed"}]}
    )

    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "path.sha", "message": "unknown change"}]
    assert not Evidence.objects.exists()


def test_it_answers_404_for_an_unknown_service(ci_client, change):
    response = attach(ci_client, "nope", change.sha, {"evidence": [{"kind": "ci_tests", "result": "passed"}]})

    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "path.service", "message": "unknown service"}]


def test_it_needs_the_evidence_scope(client, make_token, change):
    raw = make_token("changes:write")

    response = attach(
        client,
        "payments",
        change.sha,
        {"evidence": [{"kind": "ci_tests", "result": "passed"}]},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 403


def test_it_refuses_an_empty_list(ci_client, change):
    response = attach(ci_client, "payments", change.sha, {"evidence": []})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.evidence"
