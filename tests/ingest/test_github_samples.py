"""Every GitHub sample payload through the adapter: the records it creates, or why it is ignored."""

import pytest

from accountability.catalog.models import EnvironmentMapping
from accountability.changes.models import Change, Commit, Deployment, Evidence
from accountability.ingest.models import Delivery, Source
from tests.factories import PersonFactory, ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver_github

pytestmark = pytest.mark.django_db

MERGE_SHA = "a21683865c088b5fe1906cf6552d15a285a4986d"


@pytest.fixture
def source():
    return SourceFactory(kind=Source.Kind.GITHUB)


@pytest.fixture
def hello_world():
    return ServiceFactory(slug="hello-world", repositories=["codertocat/hello-world"])


@pytest.fixture
def buildconfig():
    return ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])


def test_it_turns_the_real_merged_pull_request_into_a_change(source, buildconfig):
    author = PersonFactory(github_login="byao1276")
    merger = PersonFactory(github_login="AiLisp")
    delivery = deliver_github(
        source, "github/pull_request/real-closed-merged.ailisp-reallyfastci.json", event="pull_request"
    )
    assert delivery.status == Delivery.Status.PROCESSED
    change = Change.objects.get()
    assert (change.service, change.repository, change.sha, change.pr_number) == (
        buildconfig,
        "ailisp/gcbapp-buildconfig-example",
        MERGE_SHA,
        3,
    )
    assert change.title == "Byao1276 patch 1"
    assert change.pr_url == "https://github.com/ailisp/gcbapp-buildconfig-example/pull/3"
    assert change.author_logins == ["byao1276"]
    assert list(change.authors.all()) == [author]
    assert (change.merged_by_login, change.merged_by) == ("ailisp", merger)
    assert change.merged_at.isoformat() == "2019-11-26T07:01:13+00:00"
    assert (change.files_changed, change.additions, change.deletions) == (1, 6, 0)
    assert change.labels == []
    assert change.provenance.level == "unknown"


def test_it_stores_the_commits_of_the_real_push_to_the_default_branch(source, buildconfig):
    delivery = deliver_github(
        source, "github/push/real-push-to-master.ailisp-reallyfastci.json", event="push"
    )
    assert delivery.status == Delivery.Status.PROCESSED
    change = Change.objects.get()
    assert change.sha == MERGE_SHA
    assert change.title == "Merge pull request #3 from byao1276/byao1276-patch-1"
    assert change.author_logins == ["byao1276"]  # the merge commit's author merged, did not write
    commits = Commit.objects.filter(change=change).order_by("committed_at")
    assert [c.sha[:7] for c in commits] == ["7682a24", "411a0fb", "7d1b24d", "7b5a809", "a216838"]
    assert commits[0].message == "Update README.md"
    assert (commits[0].author_login, commits[0].author_email) == (
        "byao1276",
        "55861365+byao1276@users.noreply.github.com",
    )
    assert len(change.commit_shas) == 5
    assert change.touches_schema_migration is False


def test_it_ignores_a_tag_push(source, hello_world):
    delivery = deliver_github(source, "github/push/00-event.json", event="push")
    assert delivery.status == Delivery.Status.IGNORED
    assert delivery.error == "push to refs/tags/simple-tag, not to the default branch master"
    assert not Change.objects.exists()


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("github/pull_request/00-opened.json", "pull request opened, not merged"),
        ("github/pull_request/03-closed-unmerged.json", "pull request closed without merging"),
        ("github/pull_request/08-labeled.json", "pull request labeled, not merged"),
    ],
)
def test_it_ignores_pull_requests_that_are_not_merged(source, hello_world, relative, reason):
    delivery = deliver_github(source, relative, event="pull_request")
    assert (delivery.status, delivery.error) == (Delivery.Status.IGNORED, reason)
    assert not Change.objects.exists()


def test_it_ignores_a_review_that_is_only_a_comment(source, hello_world):
    delivery = deliver_github(
        source, "github/pull_request_review/00-submitted.json", event="pull_request_review"
    )
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        "review submitted with state commented, not an approval",
    )
    assert not Evidence.objects.exists()


def test_it_records_a_completed_check_suite_as_ci_evidence_of_the_pull_request(source, hello_world):
    delivery = deliver_github(source, "github/check_suite/00-completed.json", event="check_suite")
    assert delivery.status == Delivery.Status.PROCESSED
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.result, evidence.source) == ("ci_tests", "passed", "github")
    assert evidence.sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert (
        evidence.url
        == "https://github.com/Codertocat/Hello-World/commit/ec26c3e57ca3a959ca5aad62de7213c562f8c821/checks"
    )
    assert (evidence.change.pr_number, evidence.change.merged_at) == (2, None)  # merged later, if ever


def test_it_ignores_a_workflow_run_without_a_conclusion(source):
    ServiceFactory(repositories=["octo-org/octo-repo"])
    delivery = deliver_github(source, "github/workflow_run/00-completed.json", event="workflow_run")
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        "workflow_run concluded nothing, which is no test result",
    )


def test_it_records_a_production_deployment(source, hello_world):
    creator = PersonFactory(github_login="Codertocat")
    delivery = deliver_github(source, "github/deployment/00-created.json", event="deployment")
    assert delivery.status == Delivery.Status.PROCESSED
    deployment = Deployment.objects.get()
    assert (deployment.provider, deployment.external_id) == ("github", "145988746")
    assert (deployment.environment, deployment.status) == ("production", "queued")
    assert deployment.change.sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert deployment.change.service == hello_world
    assert (deployment.deployed_by_login, deployment.deployed_by) == ("Codertocat", creator)
    assert deployment.started_at.isoformat() == "2019-05-15T15:20:53+00:00"


def test_it_treats_an_unmapped_environment_as_production_even_when_marked_not_production(source, hello_world):
    # `production_environment: false` is the deployer's word; only an admin's mapping makes it not production.
    deliver_github(source, "github/deployment/01-created.json", event="deployment")
    assert Deployment.objects.get().environment == "production"


def test_it_classifies_the_environment_by_the_admins_mapping(source, hello_world):
    EnvironmentMapping.objects.create(pattern="github-*", environment="development")
    deliver_github(source, "github/deployment/01-created.json", event="deployment")
    assert Deployment.objects.get().environment == "development"


def test_it_records_deployment_statuses(source, hello_world):
    EnvironmentMapping.objects.create(pattern="github-pages", environment="development")
    deliver_github(source, "github/deployment_status/01-created.json", event="deployment_status")
    deployment = Deployment.objects.get()
    assert (deployment.environment, deployment.status, deployment.finished_at) == (
        "development",
        "in_progress",
        None,
    )
    # The samples share one deployment id but describe it differently (created 2022 on github-pages, 2019
    # on production): the later-created description stays, whichever arrives last; the status still moves.
    deliver_github(source, "github/deployment_status/00-created.json", event="deployment_status")
    deployment.refresh_from_db()
    assert (deployment.environment, deployment.status) == ("development", "succeeded")
    assert deployment.finished_at.isoformat() == "2019-05-15T15:20:55+00:00"


# deployment_protection_rule is answered by the deploy gate: tests/api/test_protection_rule.py.
@pytest.mark.parametrize(
    ("relative", "event"),
    [("github/deployment_review/00-requested.json", "deployment_review")],
)
def test_it_stores_other_events_as_ignored(source, hello_world, relative, event):
    delivery = deliver_github(source, relative, event=event)
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        f"GitHub event {event!r} is not used",
    )


def test_it_ignores_a_repository_no_service_lists_and_can_apply_it_once_one_does(source):
    relative = "github/push/real-push-to-master.ailisp-reallyfastci.json"
    delivery = deliver_github(source, relative, event="push")
    assert (delivery.status, delivery.error) == (
        Delivery.Status.IGNORED,
        "repository ailisp/gcbapp-buildconfig-example is not listed on any service",
    )
    ServiceFactory(repositories=["ailisp/gcbapp-buildconfig-example"])
    from accountability.ingest.processing import delivery_process
    from accountability.ingest.services import deliveries_replay

    deliveries_replay(deliveries=Delivery.objects.filter(id=delivery.id))
    delivery_process(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PROCESSED
    assert Commit.objects.count() == 5


def test_it_fails_a_repository_listed_on_two_services_with_their_names(source):
    ServiceFactory(slug="a", repositories=["ailisp/gcbapp-buildconfig-example"])
    ServiceFactory(slug="b", repositories=["AiLisp/gcbapp-buildconfig-example"])
    delivery = deliver_github(
        source, "github/push/real-push-to-master.ailisp-reallyfastci.json", event="push"
    )
    assert (delivery.status, delivery.error) == (
        Delivery.Status.FAILED,
        "repository ailisp/gcbapp-buildconfig-example is listed on several services (a, b); list it on one",
    )


def approving_review(user: dict) -> bytes:
    import json

    from tests.ingest.conftest import fixture_json

    payload = fixture_json("github/pull_request_review/00-submitted.json")
    payload["review"].update(state="approved", user=user)
    return json.dumps(payload).encode()


def test_it_records_an_approval_as_human_review_evidence(source, hello_world):
    reviewer = PersonFactory(github_login="octocat")
    body = approving_review({"login": "octocat", "type": "User"})
    delivery = deliver_github(source, "review", event="pull_request_review", body=body)
    assert delivery.status == Delivery.Status.PROCESSED
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.result, evidence.detail) == ("human_review", "passed", "")
    assert (evidence.actor_login, evidence.recorded_by) == ("octocat", reviewer)
    assert evidence.sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert evidence.url == "https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671"
    assert evidence.change.pr_number == 2


@pytest.mark.parametrize(
    ("user", "why"),
    [
        ({"login": "Codertocat", "type": "User"}, "Codertocat is the author of the pull request"),
        (
            {"login": "renovate[bot]", "type": "Bot"},
            "renovate[bot] is a bot or AI agent account, not a human reviewer",
        ),
        (
            {"login": "copilot-swe-agent[bot]", "type": "Bot"},
            "copilot-swe-agent[bot] is a bot or AI agent account, not a human reviewer",
        ),
    ],
)
def test_it_keeps_an_approval_that_does_not_count_with_the_reason(source, hello_world, user, why):
    deliver_github(source, "review", event="pull_request_review", body=approving_review(user))
    evidence = Evidence.objects.get()
    assert (evidence.result, evidence.detail) == ("warned", why)


def test_a_push_of_commits_with_ai_trailers_gives_the_change_its_ai_provenance(source, buildconfig):
    import json

    from tests.ingest.conftest import fixture_bytes, fixture_json

    payload = fixture_json("github/push/real-push-to-master.ailisp-reallyfastci.json")
    message = fixture_bytes("commits/02-git-ai-131df6d9-coauthored-claude-opus.txt").decode()
    payload["commits"][0]["message"] = message
    deliver_github(source, "push", event="push", body=json.dumps(payload).encode())
    change = Change.objects.get()
    assert change.provenance.level == "assisted"
    assert "Claude Code" in change.provenance.tools
    assert change.provenance.sources == ["trailer"]


def test_a_push_of_a_dependabot_co_authored_commit_leaves_provenance_unknown(source, buildconfig):
    import json

    from tests.ingest.conftest import fixture_bytes, fixture_json

    payload = fixture_json("github/push/real-push-to-master.ailisp-reallyfastci.json")
    payload["commits"][0]["message"] = fixture_bytes(
        "commits/12-NEGATIVE-saleor-8f7b1530-coauthored-dependabot-only.txt"
    ).decode()
    deliver_github(source, "push", event="push", body=json.dumps(payload).encode())
    assert Change.objects.get().provenance.level == "unknown"
