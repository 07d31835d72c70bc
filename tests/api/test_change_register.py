import json
from pathlib import Path

import pytest

from accountability.audit.models import AuditEvent
from accountability.changes.models import AIProvenance, Change, Evidence, RollbackPlan
from accountability.ingest.models import Delivery
from tests.factories import PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SHA = "9f2c1e0a7b3d4c5e6f708192a3b4c5d6e7f80912"


def registration(**overrides):
    body = {
        "service": "payments",
        "sha": SHA,
        "repository": "acme/payments",
        "pr_number": 42,
        "pr_url": "https://github.com/acme/payments/pull/42",
        "title": "Retry card captures",
        "authors": ["alice"],
        "merged_by": "bob",
        "merged_at": "2026-11-20T10:00:00Z",
        "files_changed": 3,
        "additions": 44,
        "deletions": 2,
        "touches_schema_migration": True,
        "labels": ["payments"],
        "commits": [
            {
                "sha": "1" * 40,
                "message": "Retry captures\n\nCo-authored-by: Claude Opus 4.6 <noreply@anthropic.com>",
                "author_login": "alice",
            }
        ],
        "provenance": {
            "git_ai_notes": [
                {
                    "commit_sha": "1" * 40,
                    "note": (
                        FIXTURES / "ai-attribution/git-ai/000841e6.legacy-prompts.messages_url.note.txt"
                    ).read_text(),
                }
            ]
        },
        "evidence": [
            {"kind": "ci_tests", "result": "passed", "url": "https://ci.example.com/runs/7"},
            {"kind": "human_review", "result": "passed", "actor": "bob"},
        ],
        "rollback_plan": {"strategy": "redeploy_previous", "steps": "Redeploy v41.", "expected_minutes": 5},
    }
    body.update(overrides)
    return body


def post(client, body, **headers):
    return client.post("/api/v1/changes", json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def payments():
    return ServiceFactory(slug="payments")


def test_it_registers_a_change_with_provenance_evidence_and_rollback_plan(ci_client, payments):
    alice = PersonFactory(github_login="alice")
    bob = PersonFactory(github_login="Bob")

    response = post(ci_client, registration())

    assert response.status_code == 201
    change = Change.objects.get(service=payments, sha=SHA)
    assert response.json() == {
        "delivery_id": Delivery.objects.get().id,
        "status": "processed",
        "duplicate": False,
        "change_id": change.id,
        "ai_level": "assisted",
        "changes": [],
        "error": "",
    }
    assert (change.pr_number, change.title, change.additions) == (42, "Retry card captures", 44)
    assert change.touches_schema_migration is True
    assert list(change.authors.all()) == [alice]
    assert change.merged_by == bob
    assert change.commits.get().author_login == "alice"
    provenance = change.provenance
    assert provenance.level == AIProvenance.Level.ASSISTED
    assert str(provenance.ai_share) == "0.2500"
    assert provenance.confidence == AIProvenance.Confidence.LINE_LEVEL
    assert provenance.sources == ["git_ai_note", "trailer"]
    assert sorted(change.evidence.values_list("kind", "result", "sha")) == [
        ("ci_tests", "passed", SHA),
        ("human_review", "passed", SHA),
    ]
    assert change.evidence.get(kind="human_review").recorded_by == bob
    plan = RollbackPlan.objects.get(change=change)
    assert (plan.strategy, plan.expected_minutes) == ("redeploy_previous", 5)


def test_it_stores_the_request_as_a_delivery_of_the_api_source(ci_client, payments):
    body = json.dumps(registration())

    ci_client.post("/api/v1/changes", body, content_type="application/json")

    delivery = Delivery.objects.get()
    assert (delivery.source.name, delivery.source.kind) == ("ci-api", "api")
    assert delivery.event_type == "change.registered"
    assert bytes(delivery.body) == body.encode()
    assert delivery.status == Delivery.Status.PROCESSED


def test_it_takes_an_attestation_when_there_is_no_line_level_data(ci_client, payments):
    body = registration(
        commits=[], provenance={"ai_share": 0.8, "tools": ["Claude Code"], "drivers": ["alice"]}
    )

    response = post(ci_client, body)

    assert response.json()["ai_level"] == "majority"
    provenance = Change.objects.get().provenance
    assert provenance.confidence == AIProvenance.Confidence.ATTESTED
    assert provenance.tools == ["Claude Code"]


def test_it_says_unknown_when_nothing_is_attested(ci_client, payments):
    body = registration(commits=[], provenance=None, labels=[])

    assert post(ci_client, body).json()["ai_level"] == "unknown"


def test_it_does_not_duplicate_a_retried_request(ci_client, payments):
    first = post(ci_client, registration())
    second = post(ci_client, registration())

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["duplicate"] is True
    assert second.json()["delivery_id"] == first.json()["delivery_id"]
    assert Delivery.objects.count() == 1
    assert Change.objects.count() == 1
    assert Evidence.objects.count() == 2


def test_it_updates_not_duplicates_when_the_same_change_is_registered_again(ci_client, payments):
    post(ci_client, registration())

    response = post(ci_client, registration(title="Retry card captures (v2)"))

    assert response.status_code == 201
    assert Change.objects.get().title == "Retry card captures (v2)"
    assert Evidence.objects.count() == 2
    assert Delivery.objects.count() == 2


def test_it_honours_an_idempotency_key(ci_client, payments):
    first = post(ci_client, registration(), HTTP_IDEMPOTENCY_KEY="build-881")
    again = post(ci_client, registration(), HTTP_IDEMPOTENCY_KEY="build-881")
    other_body = post(ci_client, registration(title="Something else"), HTTP_IDEMPOTENCY_KEY="build-881")

    assert (first.status_code, again.status_code) == (201, 200)
    assert other_body.status_code == 409
    assert other_body.json()["message"] == "this Idempotency-Key was already used for a different request"
    assert Change.objects.get().title == "Retry card captures"


def test_it_audits_every_write(ci_client, payments):
    post(ci_client, registration())

    event = AuditEvent.objects.get(action="api.change.registered")
    assert event.actor is None
    assert event.actor_label == "api:ci-read-changes:write-evidence:write"
    assert event.object_id == str(Change.objects.get().id)
    assert event.ip_address == "127.0.0.1"


def test_it_answers_422_naming_an_unknown_service(ci_client):
    response = post(ci_client, registration(service="nope"))

    assert response.status_code == 422
    assert response.json() == {
        "message": "no service 'nope'",
        "errors": [{"field": "body.service", "message": "unknown service"}],
    }
    assert not Delivery.objects.exists()


def test_it_names_the_field_of_a_validation_error(ci_client, payments):
    body = registration(
        evidence=[{"kind": "ci_tests", "result": "passed"}, {"kind": "vibes", "result": "passed"}]
    )

    response = post(ci_client, body)

    assert response.status_code == 422
    assert response.json()["message"] == "the request is not valid"
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["body.evidence.1.kind"]
    assert not Change.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sha": "not-a-sha"}, "body.sha"),
        ({"additions": -1}, "body.additions"),
        ({"additions": 2**31}, "body.additions"),
        ({"pr_number": 2**40}, "body.pr_number"),
        ({"pr_url": "javascript:alert(1)"}, "body.pr_url"),
        ({"pr_url": "https://github.com/" + "a" * 200}, "body.pr_url"),
        ({"provenance": {"ai_share": 1.5}}, "body.provenance.ai_share"),
        (
            {"provenance": {"git_ai_notes": [{"commit_sha": "1" * 40, "note": "garbage"}]}},
            "body.provenance.git_ai_notes.0.note",
        ),
        ({"provenance": {"agent_traces": [{"version": "0.1.0"}]}}, "body.provenance.agent_traces"),
        ({"rollback_plan": {"strategy": "pray"}}, "body.rollback_plan.strategy"),
        ({"surprise": 1}, "body.surprise"),
    ],
)
def test_it_rejects_invalid_fields_by_name(ci_client, payments, change, field):
    response = post(ci_client, registration(**change))

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize("body", [b"{not json", b"", b"[]", b"\xff\xfe"])
def test_it_never_answers_500_to_a_malformed_body(ci_client, payments, body):
    response = ci_client.post("/api/v1/changes", body, content_type="application/json")

    assert response.status_code in (400, 422)
    assert "message" in response.json()


def test_it_completes_the_change_a_webhook_created_for_the_same_pull_request(ci_client, payments):
    # The merged PR came first (keyed by its merge sha); CI registers the PR's head sha it built.
    merged = Change.objects.create(
        service=payments,
        sha="f" * 40,
        repository="acme/payments",
        pr_number=42,
        title="From GitHub",
        additions=9,
    )
    body = {
        "service": "payments",
        "sha": SHA,
        "repository": "acme/payments",
        "pr_number": 42,
        "labels": ["ai-assisted"],
    }

    response = post(ci_client, body)

    assert response.status_code == 201
    assert response.json()["change_id"] == merged.id
    merged.refresh_from_db()
    assert Change.objects.count() == 1
    assert (merged.sha, merged.title, merged.additions, merged.labels) == (
        "f" * 40,
        "From GitHub",
        9,
        ["ai-assisted"],
    )
    assert SHA in merged.commit_shas
    assert (
        ci_client.post(
            f"/api/v1/changes/payments/{SHA}/evidence",
            json.dumps({"evidence": [{"kind": "ci_tests", "result": "passed"}]}),
            content_type="application/json",
        ).json()["change_id"]
        == merged.id
    )


def test_it_refuses_nul_characters_by_field(ci_client, payments):
    response = post(ci_client, registration(title="bad\u0000title"))

    assert response.status_code in (400, 422)
    assert not Change.objects.exists()
