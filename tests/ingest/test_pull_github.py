"""The GitHub REST pull job against a local server answering in GitHub's format."""

import base64
import copy
import json
import time
from pathlib import Path

import pytest
from werkzeug import Response

from accountability.changes.models import Change, Deployment, Evidence, ProvenanceRecord
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.pull_runner import source_pull
from tests.factories import ServiceFactory, SourceFactory

pytestmark = pytest.mark.django_db

GITHUB = Path(__file__).resolve().parent.parent / "fixtures" / "github"
REPO = "acme/payments"


def sample(name: str) -> dict:
    return json.loads((GITHUB / name).read_text())


def rest_objects(number: int, updated_at: str, merged: bool = True) -> dict:
    """A REST pull request shaped like the real one in the merged-PR capture, renumbered."""
    captured = sample("pull_request/real-closed-merged.ailisp-reallyfastci.json")
    pr = copy.deepcopy(captured["pull_request"])
    pr.update(number=number, updated_at=updated_at, title=f"PR {number}")
    pr["merge_commit_sha"] = f"{number:040x}"
    pr["head"]["sha"] = f"{number + 1000:040x}"
    if not merged:
        pr.update(merged=False, merged_at=None, merge_commit_sha=None)
    return pr


@pytest.fixture
def repository():
    captured = sample("pull_request/real-closed-merged.ailisp-reallyfastci.json")["repository"]
    return {**captured, "full_name": REPO, "name": "payments", "default_branch": "main"}


@pytest.fixture
def source(httpserver):
    return SourceFactory(
        kind=Source.Kind.GITHUB,
        name="github-pull",
        url=httpserver.url_for("/").rstrip("/"),
        token="ghp_test",
        config={"repositories": [REPO]},
        pull_every_minutes=15,
    )


def serve_pull_request(httpserver, pr: dict):
    base = f"/repos/{REPO}/pulls/{pr['number']}"
    httpserver.expect_request(base).respond_with_json(pr)
    commit = {
        "sha": f"{pr['number'] + 2000:040x}",
        "commit": {
            "message": "Retry captures\n\nCo-authored-by: Claude Opus 4.6 <noreply@anthropic.com>",
            "author": {"name": "Alice", "email": "alice@example.com", "date": "2026-11-19T10:00:00Z"},
        },
        "author": {"login": "alice"},
    }
    httpserver.expect_request(f"{base}/commits").respond_with_json([commit])
    httpserver.expect_request(f"{base}/files").respond_with_json(
        [{"filename": "payments/migrations/0042_retry.py", "status": "added"}]
    )
    review = {**sample("pull_request_review/00-submitted.json")["review"], "id": 9000 + pr["number"]}
    review.update(state="APPROVED", user={"login": "bob", "type": "User"})
    httpserver.expect_request(f"{base}/reviews").respond_with_json([review])


def serve_repository(httpserver, repository, *, deployments=(), notes=False):
    httpserver.expect_request(f"/repos/{REPO}").respond_with_json(repository)
    httpserver.expect_request(f"/repos/{REPO}/deployments").respond_with_json(list(deployments))
    if not notes:
        httpserver.expect_request(f"/repos/{REPO}/git/ref/notes/ai").respond_with_json(
            {"message": "Not Found", "documentation_url": "https://docs.github.com/rest/git/refs"}, status=404
        )


def page_query(page: int | None = None) -> dict:
    if page:
        return {"page": str(page)}
    return {"state": "closed", "sort": "updated", "direction": "desc", "per_page": "100"}


def link(httpserver, page: int) -> dict:
    url = httpserver.url_for(f"/repos/{REPO}/pulls")
    return {"Link": f'<{url}?page={page}>; rel="next", <{url}?page=9>; rel="last"'}


def process_all():
    for delivery_id in Delivery.objects.order_by("id").values_list("id", flat=True):
        delivery_process(delivery_id=delivery_id)


def test_it_pulls_merged_pull_requests_across_pages_into_changes(httpserver, source, repository):
    ServiceFactory(slug="payments", repositories=[REPO])
    serve_repository(httpserver, repository)
    first, second = rest_objects(12, "2026-11-20T10:00:00Z"), rest_objects(11, "2026-11-19T10:00:00Z")
    unmerged = rest_objects(10, "2026-11-18T10:00:00Z", merged=False)
    httpserver.expect_request(f"/repos/{REPO}/pulls", query_string=page_query()).respond_with_json(
        [first], headers=link(httpserver, 2)
    )
    httpserver.expect_request(f"/repos/{REPO}/pulls", query_string=page_query(2)).respond_with_json(
        [second, unmerged]
    )
    serve_pull_request(httpserver, first)
    serve_pull_request(httpserver, second)

    stored = source_pull(source_id=source.id)
    process_all()

    assert stored == 6  # per merged PR: the PR, its commits, its review
    assert set(Delivery.objects.values_list("status", flat=True)) == {"processed"}
    change = Change.objects.get(pr_number=12)
    assert (change.sha, change.title, change.touches_schema_migration) == (f"{12:040x}", "PR 12", True)
    assert change.commits.get().message.startswith("Retry captures")
    assert change.provenance.level == "assisted"
    assert change.evidence.get(kind=Evidence.Kind.HUMAN_REVIEW).actor_login == "bob"
    assert Change.objects.filter(pr_number=11).exists()
    assert not Change.objects.filter(pr_number=10).exists()
    source.refresh_from_db()
    assert source.cursor[REPO]["pulls"] == {
        "since": "2026-11-20T10:00:00Z",
        "high": "2026-11-20T10:00:00Z",
        "next": None,
    }
    assert source.last_success_at is not None
    assert source.last_error == ""
    # Requests carried the token.
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer ghp_test"


def test_it_stops_at_what_it_already_pulled(httpserver, source, repository):
    ServiceFactory(slug="payments", repositories=[REPO])
    source.cursor = {REPO: {"pulls": {"since": "2026-11-19T10:00:00Z", "high": "2026-11-19T10:00:00Z"}}}
    source.save()
    serve_repository(httpserver, repository)
    newer, older = rest_objects(12, "2026-11-20T10:00:00Z"), rest_objects(11, "2026-11-19T10:00:00Z")
    httpserver.expect_request(f"/repos/{REPO}/pulls", query_string=page_query()).respond_with_json(
        [newer, older], headers=link(httpserver, 2)
    )
    serve_pull_request(httpserver, newer)

    source_pull(source_id=source.id)

    requested = [request.path for request, _ in httpserver.log]
    assert f"/repos/{REPO}/pulls/12" in requested
    assert f"/repos/{REPO}/pulls/11" not in requested
    assert not any(request.args.get("page") == "2" for request, _ in httpserver.log)


def test_it_resumes_from_the_cursor_after_a_failure_mid_way(httpserver, source, repository):
    ServiceFactory(slug="payments", repositories=[REPO])
    serve_repository(httpserver, repository)
    first, second = rest_objects(12, "2026-11-20T10:00:00Z"), rest_objects(11, "2026-11-19T10:00:00Z")
    httpserver.expect_request(f"/repos/{REPO}/pulls", query_string=page_query()).respond_with_json(
        [first], headers=link(httpserver, 2)
    )
    serve_pull_request(httpserver, first)
    httpserver.expect_oneshot_request(f"/repos/{REPO}/pulls", query_string=page_query(2)).respond_with_data(
        "Bad credentials", status=401
    )

    assert source_pull(source_id=source.id) is None

    source.refresh_from_db()
    assert "answered 401" in source.last_error
    assert source.last_success_at is None
    assert source.cursor[REPO]["pulls"]["next"].endswith("?page=2")
    assert Delivery.objects.filter(external_id__startswith=f"pull:pr:{REPO}#12@").exists()

    httpserver.clear_log()
    httpserver.expect_request(f"/repos/{REPO}/pulls", query_string=page_query(2)).respond_with_json([second])
    serve_pull_request(httpserver, second)

    assert source_pull(source_id=source.id) == 3

    pages = [
        request.args.to_dict() for request, _ in httpserver.log if request.path == f"/repos/{REPO}/pulls"
    ]
    assert pages == [{"page": "2"}]  # page 1 was not read again
    assert Delivery.objects.filter(external_id__startswith="pull:pr:").count() == 2
    source.refresh_from_db()
    assert source.cursor[REPO]["pulls"]["since"] == "2026-11-20T10:00:00Z"


def test_it_waits_as_retry_after_says_and_tries_again(httpserver, source, repository):
    serve_repository(httpserver, repository)
    httpserver.expect_oneshot_request(f"/repos/{REPO}/pulls").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "1"})
    )
    httpserver.expect_request(f"/repos/{REPO}/pulls").respond_with_json([])

    started = time.monotonic()
    assert source_pull(source_id=source.id) == 0

    assert time.monotonic() - started >= 1
    assert [r.path for r, _ in httpserver.log].count(f"/repos/{REPO}/pulls") == 2


def test_it_pauses_when_the_rate_limit_resets_too_late(httpserver, source, repository, settings):
    settings.PULL_MAX_WAIT_SECONDS = 5
    reset = str(int(time.time()) + 3600)
    httpserver.expect_request(f"/repos/{REPO}").respond_with_response(
        Response(
            json.dumps({"message": "API rate limit exceeded"}),
            status=403,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        )
    )

    assert source_pull(source_id=source.id) is None

    source.refresh_from_db()
    assert "rate limit" in source.last_error
    assert source.last_error_at is not None


def test_it_pulls_deployments_and_their_statuses(httpserver, source, repository):
    ServiceFactory(slug="payments", repositories=[REPO])
    deployment = {**sample("deployment/00-created.json")["deployment"], "id": 77, "sha": "ab" * 20}
    deployment.update(
        environment="production", production_environment=True, created_at="2026-11-20T10:00:00Z"
    )
    deployment["statuses_url"] = httpserver.url_for(f"/repos/{REPO}/deployments/77/statuses")
    status = sample("deployment_status/00-created.json")["deployment_status"]
    in_progress = {**status, "id": 1, "state": "in_progress", "created_at": "2026-11-20T10:01:00Z"}
    success = {**status, "id": 2, "state": "success", "created_at": "2026-11-20T10:05:00Z"}
    serve_repository(httpserver, repository, deployments=[deployment])
    httpserver.expect_request(f"/repos/{REPO}/pulls").respond_with_json([])
    httpserver.expect_request(f"/repos/{REPO}/deployments/77/statuses").respond_with_json(
        [success, in_progress]
    )

    assert source_pull(source_id=source.id) == 3
    process_all()

    row = Deployment.objects.get(provider="github", external_id="77")
    assert (row.environment, row.status, row.change.sha) == ("production", "succeeded", "ab" * 20)
    source.refresh_from_db()
    # The next walk reads the last day's deployments again, as their statuses may still change.
    assert source.cursor[REPO]["deployments"]["since"] == "2026-11-19T10:00:00Z"


def test_it_stores_nothing_twice_when_pulled_again(httpserver, source, repository):
    ServiceFactory(slug="payments", repositories=[REPO])
    serve_repository(httpserver, repository)
    pr = rest_objects(12, "2026-11-20T10:00:00Z")
    httpserver.expect_request(f"/repos/{REPO}/pulls").respond_with_json([pr])
    serve_pull_request(httpserver, pr)

    source_pull(source_id=source.id)
    Source.objects.filter(pk=source.pk).update(cursor={})
    second = source_pull(source_id=source.id)

    assert second == 0
    assert Delivery.objects.count() == 3


def test_it_records_a_configuration_error(source):
    source.config = {}
    source.save()

    assert source_pull(source_id=source.id) is None

    source.refresh_from_db()
    assert source.last_error == 'config has no "repositories": ["owner/name", ...]'


def test_it_reads_git_ai_notes_of_the_pulled_commits(httpserver, source, repository):
    ServiceFactory(slug="payments", repositories=[REPO])
    serve_repository(httpserver, repository, notes=True)
    pr = rest_objects(12, "2026-11-20T10:00:00Z")
    pr["additions"] = 44
    httpserver.expect_request(f"/repos/{REPO}/pulls").respond_with_json([pr])
    serve_pull_request(httpserver, pr)
    commit_sha = f"{12 + 2000:040x}"
    note = (
        Path(__file__).resolve().parent.parent
        / "fixtures"
        / "ai-attribution"
        / "git-ai"
        / "000841e6.legacy-prompts.messages_url.note.txt"
    ).read_text()
    httpserver.expect_request(f"/repos/{REPO}/git/ref/notes/ai").respond_with_json(
        {"ref": "refs/notes/ai", "object": {"sha": "c" * 40, "type": "commit"}}
    )
    httpserver.expect_request(f"/repos/{REPO}/git/commits/{'c' * 40}").respond_with_json(
        {"sha": "c" * 40, "tree": {"sha": "d" * 40}}
    )
    httpserver.expect_request(
        f"/repos/{REPO}/git/trees/{'d' * 40}", query_string={"recursive": "1"}
    ).respond_with_json(
        {
            "sha": "d" * 40,
            "tree": [
                {"path": f"{commit_sha[:2]}/{commit_sha[2:]}", "type": "blob", "sha": "e" * 40},
                {"path": "ff" * 20, "type": "blob", "sha": "f" * 40},  # a commit of no pulled PR: not read
            ],
            "truncated": False,
        }
    )
    httpserver.expect_request(f"/repos/{REPO}/git/blobs/{'e' * 40}").respond_with_json(
        {"sha": "e" * 40, "encoding": "base64", "content": base64.b64encode(note.encode()).decode()}
    )

    assert source_pull(source_id=source.id) == 4
    process_all()

    record = ProvenanceRecord.objects.get()
    assert (record.kind, record.commit_sha, record.repository) == ("git_ai_note", commit_sha, REPO)
    change = Change.objects.get(pr_number=12)
    assert (change.provenance.level, str(change.provenance.ai_share)) == ("assisted", "0.2500")
    assert change.provenance.confidence == "line_level"
    assert f"/repos/{REPO}/git/blobs/{'f' * 40}" not in [r.path for r, _ in httpserver.log]


def test_it_records_an_answer_it_cannot_read(httpserver, source, repository):
    serve_repository(httpserver, repository)
    httpserver.expect_request(f"/repos/{REPO}/pulls").respond_with_json(
        [{"updated_at": "2026-11-20T10:00:00Z", "merged_at": "2026-11-20T10:00:00Z"}]
    )

    assert source_pull(source_id=source.id) is None

    source.refresh_from_db()
    assert source.last_error == "internal error: KeyError: 'number'"
    assert source.last_error_at is not None
