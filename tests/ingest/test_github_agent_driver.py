"""An AI agent's pull request keeps its human driver, who never counts as its independent reviewer."""

import json

import pytest

from accountability.analysis.facts import _human_review_ok
from accountability.changes.models import Change, Evidence
from tests.factories import PersonFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver_github, fixture_json

pytestmark = pytest.mark.django_db

AGENT = {"login": "copilot-swe-agent[bot]", "type": "Bot"}


@pytest.fixture
def source():
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    ServiceFactory(slug="hello-world", repositories=["codertocat/hello-world"])
    return SourceFactory()


def agent_pr(*, assignees: list[dict], body: str = "") -> bytes:
    payload = fixture_json("github/pull_request/real-closed-merged.ailisp-reallyfastci.json")
    payload["pull_request"].update(user=AGENT, assignees=assignees, body=body)
    return json.dumps(payload).encode()


def test_the_assignee_of_an_agent_pr_is_its_driver(source):
    alice = PersonFactory(github_login="alice")
    body = agent_pr(assignees=[{"login": "alice", "type": "User"}, {"login": "Copilot", "type": "Bot"}])

    deliver_github(source, "pr", event="pull_request", body=body)

    change = Change.objects.get()
    assert change.driver_logins == ["alice"]
    assert change.provenance.driver_logins == ["alice"]
    assert list(change.provenance.drivers.all()) == [alice]
    assert change.provenance.tools == ["GitHub Copilot coding agent"]


def test_the_requester_an_agent_names_in_the_body_is_its_driver(source):
    body = agent_pr(
        assignees=[], body="Link to Devin run: https://app.devin.ai/sessions/abc\nRequested by: Bo (@bo-dev)"
    )

    deliver_github(source, "pr", event="pull_request", body=body)

    assert Change.objects.get().driver_logins == ["bo-dev"]


def test_the_driver_approving_the_agents_pr_is_not_an_independent_review(source):
    review = fixture_json("github/pull_request_review/00-submitted.json")
    review["review"].update(state="approved", user={"login": "alice", "type": "User"})
    review["pull_request"].update(user=AGENT, assignees=[{"login": "alice", "type": "User"}])

    deliver_github(source, "review", event="pull_request_review", body=json.dumps(review).encode())

    evidence = Evidence.objects.get()
    assert (evidence.result, evidence.detail) == (
        "warned",
        "alice drove the AI agent that wrote the pull request",
    )
    assert not _human_review_ok(evidence.change, [evidence], None)
