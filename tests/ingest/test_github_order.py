"""Events about one change arrive in any order; the database ends the same.

The sequence is the life of a real pull request (ailisp/gcbapp-buildconfig-example#3, its merge and the
push of the merge, captured from GitHub) with the events GitHub sends around it — an approving review and a
check suite on the PR head before the merge, a deployment of the merge commit with its statuses, a check
suite on the default branch — built from the octokit samples and pointed at that PR.
"""

import copy
import json
import random

import pytest
from django.db import transaction

from accountability.changes.models import Change, Commit, Deployment, Evidence
from accountability.ingest.models import Delivery, Source
from tests.factories import PersonFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver, fixture_json

pytestmark = pytest.mark.django_db

MERGE_SHA = "a21683865c088b5fe1906cf6552d15a285a4986d"
HEAD_SHA = "7b5a809ab03679215c55926f7d111156ec98b865"


def realistic_sequence() -> list[tuple[str, dict]]:
    merged = fixture_json("github/pull_request/real-closed-merged.ailisp-reallyfastci.json")
    push = fixture_json("github/push/real-push-to-master.ailisp-reallyfastci.json")
    repository = merged["repository"]

    review = fixture_json("github/pull_request_review/00-submitted.json")
    review["repository"] = repository
    review["pull_request"] = copy.deepcopy(merged["pull_request"])
    review["pull_request"].update(merged=False, merged_at=None, merged_by=None, state="open")
    review["review"].update(state="approved", commit_id=HEAD_SHA, user={"login": "ailisp", "type": "User"})

    pr_checks = fixture_json("github/check_suite/00-completed.json")
    pr_checks["repository"] = repository
    pr_checks["check_suite"].update(head_sha=HEAD_SHA, head_branch="byao1276-patch-1")
    pr_checks["check_suite"]["pull_requests"][0].update(number=3)

    main_checks = copy.deepcopy(pr_checks)
    main_checks["check_suite"].update(
        id=118578148, head_sha=MERGE_SHA, head_branch="master", pull_requests=[]
    )

    deployment = fixture_json("github/deployment/00-created.json")
    deployment["repository"] = repository
    # Its own deployment id: the sample's is also delivered as it is (test_worker_replay), and GitHub's
    # deployment ids are unique, so two deployments sharing one would make the last applied win.
    deployment["deployment"].update(id=145988747, sha=MERGE_SHA, ref="master")

    in_progress = fixture_json("github/deployment_status/01-created.json")
    in_progress["repository"] = repository
    in_progress["deployment"] = copy.deepcopy(deployment["deployment"])
    in_progress["deployment_status"].update(id=209916253, created_at="2019-05-15T15:20:54Z")

    succeeded = fixture_json("github/deployment_status/00-created.json")
    succeeded["repository"] = repository
    succeeded["deployment"] = copy.deepcopy(deployment["deployment"])

    return [
        ("pull_request_review", review),
        ("check_suite", pr_checks),
        ("pull_request", merged),
        ("push", push),
        ("check_suite", main_checks),
        ("deployment", deployment),
        ("deployment_status", in_progress),
        ("deployment_status", succeeded),
    ]


def state() -> dict:
    """What a user can see, without database ids (which depend on the order rows were created in)."""
    changes = [
        {
            "service": c.service.slug,
            "sha": c.sha,
            "pr": c.pr_number,
            "title": c.title,
            "url": c.pr_url,
            "authors": c.author_logins,
            "people": sorted(p.github_login for p in c.authors.all()),
            "merged_by": c.merged_by_login,
            "merged_at": c.merged_at,
            "size": (c.files_changed, c.additions, c.deletions),
            "labels": c.labels,
            "commit_shas": c.commit_shas,
            "migration": c.touches_schema_migration,
            "ai": c.provenance.level if hasattr(c, "provenance") else None,
        }
        for c in Change.objects.order_by("sha")
    ]
    commits = sorted(
        (c.change.sha, c.sha, c.message, c.author_login, c.committed_at) for c in Commit.objects.all()
    )
    evidence = sorted(
        (e.change.sha, e.kind, e.result, e.sha, e.external_id, e.actor_login, e.detail, e.at)
        for e in Evidence.objects.all()
    )
    deployments = sorted(
        (
            d.change.sha,
            d.external_id,
            d.environment,
            d.status,
            d.started_at,
            d.finished_at,
            d.deployed_by_login,
        )
        for d in Deployment.objects.all()
    )
    return {"changes": changes, "commits": commits, "evidence": evidence, "deployments": deployments}


def replay(source, events) -> dict:
    """Applies `events` inside a savepoint that is rolled back; returns the state they produced."""
    with transaction.atomic():
        for number, (event, payload) in enumerate(events):
            delivery = deliver(
                source,
                json.dumps(payload).encode(),
                headers={"x-github-event": event},
                external_id=f"{number}-{event}",
            )
            assert delivery.status == Delivery.Status.PROCESSED, delivery.error
        result = state()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def source():
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    PersonFactory(github_login="byao1276")
    PersonFactory(github_login="ailisp")
    return SourceFactory(kind=Source.Kind.GITHUB)


def test_it_ends_in_the_expected_state_in_the_natural_order(source):
    result = replay(source, realistic_sequence())
    [change] = result["changes"]
    assert (change["sha"], change["pr"], change["title"]) == (MERGE_SHA, 3, "Byao1276 patch 1")
    assert change["authors"] == ["byao1276"]
    assert change["commit_shas"] == sorted(
        [
            "7682a248ad73d204eb94d9eab840c6fe41b8963d",
            "411a0fbb93b25e1ba1d7ef7d437315c2a411ed52",
            "7d1b24db3fde2747f9dadfb0f8abf0c8e6f40cad",
            HEAD_SHA,
            MERGE_SHA,
        ]
    )
    assert len(result["commits"]) == 5
    assert [(e[1], e[2], e[3]) for e in result["evidence"]] == [
        ("ci_tests", "passed", HEAD_SHA),
        ("ci_tests", "passed", MERGE_SHA),
        ("human_review", "passed", HEAD_SHA),
    ]
    [deployment] = result["deployments"]
    assert deployment[:4] == (MERGE_SHA, "145988747", "production", "succeeded")


def test_it_ends_in_the_same_state_whatever_the_order(source):
    events = realistic_sequence()
    expected = replay(source, events)
    orders = [list(reversed(events))]
    shuffler = random.Random(20261124)
    for _ in range(24):
        order = events[:]
        shuffler.shuffle(order)
        orders.append(order)
    for order in orders:
        assert replay(source, order) == expected, [event for event, _ in order]


def test_it_ends_in_the_same_state_when_everything_is_delivered_twice(source):
    events = realistic_sequence()
    assert replay(source, events + events[::-1]) == replay(source, events)


def test_a_rollback_plan_registered_on_the_pr_head_survives_the_merge(source):
    from accountability.changes.models import RollbackPlan
    from tests.factories import ChangeFactory

    service = ServiceFactory._meta.model.objects.get(slug="buildconfig")
    head = ChangeFactory(
        service=service, repository="ailisp/gcbapp-buildconfig-example", sha=HEAD_SHA, pr_number=None
    )
    RollbackPlan.objects.create(change=head, strategy=RollbackPlan.Strategy.FEATURE_FLAG, steps="turn off x")
    events = realistic_sequence()
    for number, (event, payload) in enumerate(events):
        deliver(
            source, json.dumps(payload).encode(), headers={"x-github-event": event}, external_id=str(number)
        )
    [change] = Change.objects.all()
    assert change.sha == MERGE_SHA
    assert change.rollback_plan.steps == "turn off x"
