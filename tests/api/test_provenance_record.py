import json
from decimal import Decimal
from pathlib import Path

import pytest

from accountability.audit.models import AuditEvent
from accountability.changes.models import ProvenanceRecord
from tests.factories import ChangeFactory, CommitFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ai-attribution"
COMMIT = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"  # the revision of the spec's example trace record


def trace() -> dict:
    return json.loads((FIXTURES / "agent-trace" / "agent-trace-02-6-2-example-trace-record.json").read_text())


def post(client, body, **headers):
    return client.post("/api/v1/provenance", json.dumps(body), content_type="application/json", **headers)


def test_it_records_an_agent_trace_for_a_commit_of_a_registered_change(ci_client):
    change = ChangeFactory(repository="acme/payments", additions=100)
    CommitFactory(change=change, sha=COMMIT)

    response = post(ci_client, {"repository": "acme/payments", "agent_traces": [trace()]})

    assert response.status_code == 201
    assert response.json()["changes"] == [change.id]
    change.provenance.refresh_from_db()
    assert (change.provenance.level, change.provenance.ai_share) == ("assisted", Decimal("0.4200"))
    assert change.provenance.confidence == "line_level"
    assert AuditEvent.objects.get(action="api.provenance.recorded").detail["changes"] == [change.id]


def test_it_keeps_a_record_until_its_change_arrives(ci_client):
    note = (FIXTURES / "git-ai" / "000841e6.legacy-prompts.messages_url.note.txt").read_text()

    response = post(ci_client, {"git_ai_notes": [{"commit_sha": "0" * 40, "note": note}]})

    assert response.status_code == 201
    assert response.json()["changes"] == []
    assert ProvenanceRecord.objects.get().commit_sha == "0" * 40
    change = ChangeFactory(sha="0" * 40, additions=11)
    from accountability.changes.provenance import provenance_refresh

    assert provenance_refresh(change=change).level == "majority"


def test_it_accepts_the_agent_trace_media_type(ci_client):
    response = ci_client.post(
        "/api/v1/provenance",
        json.dumps({"agent_traces": [trace()]}),
        content_type="application/vnd.agent-trace.record+json",
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"agent_traces": [{"files": []}]}, "body.agent_traces"),
        ({"agent_traces": [{**trace(), "vcs": {"type": "jj", "revision": "kkmpptxz"}}]}, "body.agent_traces"),
        ({"git_ai_notes": [{"commit_sha": "zz", "note": "x"}]}, "body.git_ai_notes.0.commit_sha"),
    ],
)
def test_it_names_what_is_wrong(ci_client, body, field):
    response = post(ci_client, body)

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


def test_it_needs_the_changes_scope(client, make_token):
    raw = make_token("evidence:write")

    response = post(client, {"agent_traces": [trace()]}, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403
