"""Every AI-attribution and commit sample fed through the intake adapter, with the provenance it must give."""

import json
from pathlib import Path

import pytest

from accountability.changes.models import Change
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SHA = "9f2c1e0a7b3d4c5e6f708192a3b4c5d6e7f80912"


@pytest.fixture(autouse=True)
def payments():
    return ServiceFactory(slug="payments")


def register(client, **fields):
    body = {"service": "payments", "sha": SHA, "additions": 100, **fields}
    return client.post("/api/v1/changes", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("000841e6.legacy-prompts.messages_url.note.txt", "assisted"),  # 11 of 100 lines
        ("00309900.legacy-prompts.cursor-gpt-5.1.with-human-lines.note.txt", "majority"),  # 82
        ("017e8e28.known-human-only.note.txt", "none"),
        ("131df6d9.sessions-format.claude.note.txt", "majority"),  # 134
        ("53a5b751.sessions-format.cursor.note.txt", "assisted"),  # 6
        ("example-1-2-5-complete-example-sessions-format.note.txt", "majority"),  # 73
        ("example-1-2-6-complete-example-legacy-format.note.txt", "majority"),  # 73
        ("example-1-2-7-complete-example-mixed-format.note.txt", "majority"),  # 60
    ],
)
def test_every_git_ai_note_gives_line_level_provenance(ci_client, name, level):
    note = (FIXTURES / "ai-attribution" / "git-ai" / name).read_text()

    response = register(ci_client, provenance={"git_ai_notes": [{"commit_sha": SHA, "note": note}]})

    assert response.status_code == 201
    assert response.json()["ai_level"] == level
    assert Change.objects.get().provenance.confidence == "line_level"


@pytest.mark.parametrize(
    ("name", "status", "level"),
    [
        ("agent-trace-01-6-1-trace-record-schema.json", 422, None),  # the JSON schema, not a record
        ("agent-trace-02-6-2-example-trace-record.json", 201, "assisted"),  # 42 of 100 lines
        ("agent-trace-03-6-3-attribution-ranges.json", 201, "majority"),  # 51
        ("agent-trace-05-6-6-content-hashes.json", 201, "assisted"),  # 16
        ("agent-trace-06-6-7-model-identifier.json", 422, None),  # a contributor fragment
        ("agent-trace-07-6-8-linked-resources.json", 201, "assisted"),  # 41
        ("agent-trace-08-7-2-metadata.json", 422, None),  # a metadata fragment
        ("agent-trace-09-a-minimal-valid-trace-record.json", 201, "majority"),  # 50
    ],
)
def test_every_agent_trace_sample_is_read_or_refused_by_name(ci_client, name, status, level):
    record = json.loads((FIXTURES / "ai-attribution" / "agent-trace" / name).read_text())

    response = register(ci_client, provenance={"agent_traces": [record]})

    assert response.status_code == status
    if level:
        assert response.json()["ai_level"] == level
    else:
        assert response.json()["errors"][0]["field"] == "body.provenance.agent_traces"


def test_the_jsonc_sample_is_not_json_and_is_refused(ci_client):
    # The spec's version-control snippet carries // comments: sent as it is, the body is not JSON.
    snippet = (
        FIXTURES
        / "ai-attribution"
        / "agent-trace"
        / "agent-trace-04-6-4-version-control-systems.verbatim.jsonc"
    )
    body = (
        '{"service": "payments", "sha": "'
        + SHA
        + '", "provenance": {"agent_traces": ['
        + snippet.read_text()
        + "]}}"
    )

    response = ci_client.post("/api/v1/changes", body, content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize("path", sorted((FIXTURES / "commits").glob("*.txt")), ids=lambda p: p.name[:2])
def test_every_commit_sample_gives_its_provenance(ci_client, path):
    commit = {"sha": "1" * 40, "message": path.read_text(), "author_login": "alice"}

    response = register(ci_client, commits=[commit])

    expected = "unknown" if "NEGATIVE" in path.name else "assisted"
    assert response.json()["ai_level"] == expected
    provenance = Change.objects.get().provenance
    assert provenance.confidence == ("none" if expected == "unknown" else "heuristic")
