"""The measured accuracy of AI provenance on real commits, through the public door (issue 13).

tests/fixtures/provenance/real_commits.json holds commits of public repositories (metadata only: author,
committer, full message, repository, sha), each labelled by reading it: AI involved or not, and which
registry agent, or "unnamed" when it names no agent (a model only: "Assisted-by: Opus 4.7", "AI disclosure:
Written with help by GPT-5.5"). Each one is sent as a signed GitHub `push` delivery to the webhook receiver
and processed by the real adapter; the provenance it gets is compared with the label.

Targets (issue 13): recall >= 95 %, no false positive, the tool named right >= 98 % of detected AI commits.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from accountability.changes.models import Change
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import github_headers, post

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "provenance" / "real_commits.json"
COMMITS = json.loads(FIXTURE.read_text())
URL = "/webhooks/github/accuracy/"
RECALL, TOOL_ACCURACY = 0.95, 0.98


def push_body(commit: dict) -> bytes:
    """A push to the default branch carrying the one commit, shaped as GitHub sends it."""
    author = {"name": commit["author_name"], "email": commit["author_email"]}
    if commit["author_login"]:
        author["username"] = commit["author_login"]
    payload = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": commit["sha"],
        "repository": {"full_name": commit["repo"], "default_branch": "main"},
        "pusher": {"name": "someone"},
        "deleted": False,
        "commits": [
            {
                "id": commit["sha"],
                "message": commit["message"],
                "timestamp": "2026-11-30T12:00:00Z",
                "author": author,
                "committer": {"name": commit["committer_name"], "email": commit["committer_email"]},
                "added": [],
                "modified": ["README.md"],
                "removed": [],
            }
        ],
    }
    return json.dumps(payload).encode()


def measure(client) -> list[tuple[dict, bool, str]]:
    """(labelled commit, detected as AI, agent named) for every commit of the fixture."""
    results = []
    for commit in COMMITS:
        body = push_body(commit)
        response = post(client, URL, body, github_headers(body, event="push", delivery=commit["sha"]))
        assert response.status_code == 202, response.content
        delivery_process(delivery_id=Delivery.objects.get(external_id=commit["sha"]).id)
        provenance = Change.objects.get(sha=commit["sha"]).provenance
        detected = provenance.level != "unknown"
        # The registry agent named; "" when no detection names one (an unnamed tool, "Opus", "AI").
        agent = next((d["agent"] for d in provenance.detections if d["agent"]), "")
        results.append((commit, detected, agent))
    return results


def report(results: list[tuple[dict, bool, str]]) -> dict:
    rows: dict[str, Counter] = defaultdict(Counter)
    for commit, detected, agent in results:
        if commit["ai"]:
            row = rows[commit["tool"]]
            row["labelled"] += 1
            row["found"] += detected
            right = (
                agent == commit["tool"]
                or agent in commit["also"]
                or (commit["tool"] == "unnamed" and not agent)
            )
            row["named_right"] += detected and right
        elif detected:
            rows[agent or "?"]["false_positive"] += 1
    total = Counter()
    for row in rows.values():
        total.update(row)
    print(
        f"\n{'agent':32} {'labelled':>8} {'found':>6} {'recall':>7} {'FP':>4} {'precision':>9} {'tool ok':>8}"
    )
    for name, row in sorted([*rows.items(), ("ALL", total)], key=lambda kv: (kv[0] == "ALL", kv[0])):
        found, fp = row["found"], row["false_positive"]
        recall = found / row["labelled"] if row["labelled"] else 1.0
        precision = found / (found + fp) if found + fp else 1.0
        tool = row["named_right"] / found if found else 1.0
        print(f"{name:32} {row['labelled']:8} {found:6} {recall:7.1%} {fp:4} {precision:9.1%} {tool:8.1%}")
    misses = [c["repo"] + "@" + c["sha"][:10] for c, detected, _ in results if c["ai"] and not detected]
    wrong = [c["repo"] + "@" + c["sha"][:10] for c, detected, _ in results if not c["ai"] and detected]
    print(f"missed: {misses}\nfalse positives: {wrong}")
    return total


def test_the_fixture_is_large_and_varied_enough():
    assert len(COMMITS) >= 300
    assert len({c["repo"] for c in COMMITS}) >= 20
    assert len({c["sha"] for c in COMMITS}) == len(COMMITS)
    assert sum(c["ai"] for c in COMMITS) >= 100 and sum(not c["ai"] for c in COMMITS) >= 100
    assert all(c["tool"] for c in COMMITS if c["ai"])


def test_provenance_of_real_commits_meets_the_targets(client):
    SourceFactory(kind=Source.Kind.GITHUB, name="accuracy")
    ServiceFactory(slug="samples", repositories=sorted({c["repo"] for c in COMMITS}))

    total = report(measure(client))

    assert total["false_positive"] == 0
    assert total["found"] / total["labelled"] >= RECALL
    assert total["named_right"] / total["found"] >= TOOL_ACCURACY
