"""GitHub webhooks: merged PRs, pushes to the default branch, approving reviews, CI results, deployments.

verify → parse → map → upsert, as every adapter. What is used (DESIGN §5) and what is ignored:

- `pull_request` whose PR is merged (closed+merged, or labeled after the merge) → Change: title, URL, author,
  merged_by, merged_at, size, labels (a union: a label removed after the merge stays). Not merged → ignored.
  A PR an AI agent opened keeps its human driver: its human assignees and the "Requested by" the body names.
- `push` to the repository's default branch → Commit rows with their messages, on the change of the pushed
  head; other branches, tag pushes and branch deletions → ignored.
- `pull_request_review` submitted with state approved → Evidence human_review. Reviews by a bot or AI agent
  account, by the PR's author, or by the driver of the agent that wrote it, are stored as `warned` with the
  reason, so the page can say why they do
  not count; whether the reviewer is also a commit co-author is judged when the policy is evaluated, because
  the commits may arrive later. Other review states → ignored.
- `check_suite` / `workflow_run` completed → Evidence ci_tests on the head sha (success → passed; failure,
  timed_out, startup_failure → failed; neutral, skipped, cancelled, stale → ignored).
- `deployment`, `deployment_status` → Deployment; `production_environment` (or an environment named
  production) marks production; queued/pending → queued, in_progress, success → succeeded, failure/error →
  failed; inactive (superseded) leaves the status alone. A status never moves a deployment backwards, so
  statuses arriving out of order end in the same state.
- `deployment_protection_rule` requested → the deploy gate answers GitHub (accountability/gate/protection.py,
  which adds its handler to HANDLERS when the gate app is ready).
- anything else (ping, issues, …) → stored, ignored.
"""

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.db import connection
from django.utils import timezone

from accountability.changes.models import Commit, Deployment, Evidence
from accountability.changes.provenance import agent_account_tool, provenance_refresh
from accountability.changes.registry import registry_current
from accountability.changes.touched import touched_union
from accountability.followups import analysis_schedule_for_deployment
from accountability.ingest.adapters.payload import (
    body_digest,
    count,
    get,
    hmac_sha256_hex,
    json_object,
    link,
    require_secret,
    sha,
    text,
)
from accountability.ingest.errors import DeliveryIgnored, PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source
from accountability.ingest.upserts import (
    change_by_pull_request,
    change_by_sha,
    change_for_merged_pull_request,
    change_link_people,
    environment_name,
    lock,
    person_by_login,
    service_for_repository,
    sorted_union,
    timestamp,
    touches_migration,
)

PROVIDER = "github"


@dataclass(frozen=True)
class GitHubEvent:
    name: str
    action: str
    data: dict


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256 of the raw body under the webhook secret."""
    secret = require_secret(source)
    signature = headers.get("x-hub-signature-256", "")
    if not signature.startswith("sha256="):
        raise SignatureError("X-Hub-Signature-256 is missing")
    if not hmac.compare_digest(signature.removeprefix("sha256="), hmac_sha256_hex(secret, body)):
        raise SignatureError("X-Hub-Signature-256 does not match the body")


def parse(*, body: bytes, headers: dict) -> GitHubEvent:
    name = headers.get("x-github-event", "")
    if not name:
        raise PayloadError("X-GitHub-Event is missing")
    # A webhook may be configured with content type application/x-www-form-urlencoded: payload=<json>.
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            body = parse_qs(body.decode(), strict_parsing=True)["payload"][0].encode()
        except (UnicodeDecodeError, ValueError, KeyError):
            raise PayloadError("a form-encoded delivery must carry the JSON in its payload field") from None
    data = json_object(body)
    return GitHubEvent(name=name, action=text(data, "action"), data=data)


def identify(*, payload: GitHubEvent, headers: dict, body: bytes) -> tuple[str, str]:
    """(external id, event type) of a delivery: X-GitHub-Delivery, and the event with its action."""
    external_id = headers.get("x-github-delivery", "")[:200] or body_digest(body)
    event_type = f"{payload.name}.{payload.action}" if payload.action else payload.name
    return external_id, event_type[:200]


def delivery_apply(*, delivery: Delivery, payload: GitHubEvent) -> str:
    handler = HANDLERS.get(payload.name)
    if handler is None:
        raise DeliveryIgnored(f"GitHub event {payload.name!r} is not used")
    return handler(payload)


def _repository(data: dict) -> str:
    return get(data, "repository.full_name")[:200]


def _is_bot(user: dict) -> bool:
    login = text(user, "login")
    return text(user, "type") == "Bot" or login.endswith("[bot]") or agent_account_tool(login) is not None


# "Requested by: Ann (@ann)", "Triggered by @ann": the line an agent writes naming who started it.
REQUESTED_BY = re.compile(
    r"^\W*(?:requested|triggered|started|assigned|prompted)\s+by\W*(?:[^@\n]*?\(@(?P<paren>[A-Za-z0-9-]+)\)"
    r"|@(?P<login>[A-Za-z0-9-]+))",
    re.IGNORECASE | re.MULTILINE,
)


def _agent_pr_drivers(pr: dict) -> list[str]:
    """Who started an agent's PR: its human assignees, else the person the PR body names as requester.

    GitHub assigns the Copilot coding agent's PR to the person who assigned the issue; Devin, Jules and
    others write "Requested by" in the body. Bots and agents are never drivers.
    """
    registry = registry_current()
    humans = []
    for user in get(pr, "assignees", list, default=[]):
        if isinstance(user, dict) and text(user, "login") and not _is_bot(user):
            humans.append(text(user, "login", limit=100))
    for match in REQUESTED_BY.finditer(text(pr, "body", limit=20_000)):
        login = match.group("paren") or match.group("login")
        rule = registry.identity(login=login)
        if rule is None or not rule.is_ai:
            humans.append(login[:100])
    return sorted_union(humans)


# Handlers: one per event name, each returns "processed" or raises DeliveryIgnored with the reason.


def pull_request(event: GitHubEvent) -> str:
    pr = get(event.data, "pull_request", dict)
    if not get(pr, "merged", bool, default=False):
        state = "closed without merging" if event.action == "closed" else f"{event.action}, not merged"
        raise DeliveryIgnored(f"pull request {state}")
    repository = _repository(event.data)
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    number = count(pr, "number")
    change = change_for_merged_pull_request(
        service=service,
        repository=repository,
        number=number,
        merge_sha=sha(pr, "merge_commit_sha"),
        head_sha=sha(pr, "head.sha"),
    )
    labels = [
        text(label, "name", limit=100)
        for label in get(pr, "labels", list, default=[])
        if isinstance(label, dict)
    ]
    # The merged PR is the authority on what it carries, but what it leaves out never blanks what a CI
    # registration or a push already told us.
    change.described_by = PROVIDER
    change.repository = repository
    change.pr_url = link(pr, "html_url", limit=200) or change.pr_url
    change.title = text(pr, "title") or change.title
    change.author_logins = [get(pr, "user.login")[:100]]
    if agent_account_tool(get(pr, "user.login")):
        change.driver_logins = sorted_union(change.driver_logins, _agent_pr_drivers(pr))
    change.merged_by_login = text(pr, "merged_by.login", limit=100) or change.merged_by_login
    change.merged_at = timestamp(get(pr, "merged_at"), field="pull_request.merged_at") or change.merged_at
    change.files_changed = count(pr, "changed_files", default=0) or change.files_changed
    change.additions = count(pr, "additions", default=0) or change.additions
    change.deletions = count(pr, "deletions", default=0) or change.deletions
    change.labels = sorted_union(change.labels, labels)
    change.commit_shas = sorted_union(change.commit_shas, [sha(pr, "head.sha")])
    change.save()
    change_link_people(change)
    provenance_refresh(change=change)
    return Delivery.Status.PROCESSED


def push(event: GitHubEvent) -> str:
    data = event.data
    ref = get(data, "ref")
    default_branch = get(data, "repository.default_branch", default="")
    if ref != f"refs/heads/{default_branch}":
        raise DeliveryIgnored(f"push to {ref}, not to the default branch {default_branch}")
    if get(data, "deleted", bool, default=False):
        raise DeliveryIgnored("the push deleted the branch")
    commits = [c for c in get(data, "commits", list, default=[]) if isinstance(c, dict)]
    head_sha = sha(data, "after")
    if not commits:
        raise DeliveryIgnored("the push carries no commits")
    repository = _repository(data)
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    head = next((c for c in commits if sha(c, "id") == head_sha), commits[-1])
    message = text(head, "message", limit=100_000)
    # Merge commits are the merger's, not the change's; direct pushes are authored by their commits' authors.
    authors = sorted_union(
        text(c, "author.username", limit=100)
        for c in commits
        if not text(c, "message").startswith(("Merge pull request #", "Merge branch "))
    )
    change = change_by_sha(service=service, repository=repository, sha=head_sha)
    if change.pr_number is None:
        # Without a PR the push is all we know of the change; a merged PR's fields win when it comes.
        change.title = change.title or (message.splitlines()[0][:500] if message else "")
        change.author_logins = change.author_logins or authors
        change.merged_at = change.merged_at or timestamp(
            get(head, "timestamp", default=None), field="head_commit.timestamp"
        )
    rows = {
        sha(commit, "id"): Commit(
            change=change,
            sha=sha(commit, "id"),
            message=text(commit, "message", limit=100_000),
            author_name=text(commit, "author.name", limit=200),
            author_email=text(commit, "author.email", limit=254),
            author_login=text(commit, "author.username", limit=100),
            committed_at=timestamp(get(commit, "timestamp", default=None), field="commits.timestamp"),
        )
        for commit in commits
    }
    # One INSERT … ON CONFLICT for all of them: a push can carry hundreds of commits.
    Commit.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["change", "sha"],
        update_fields=["message", "author_name", "author_email", "author_login", "committed_at"],
    )
    paths = [
        path
        for commit in commits
        for key in ("added", "modified", "removed")
        for path in get(commit, key, list, default=[])
        if isinstance(path, str)
    ]
    change.commit_shas = sorted_union(change.commit_shas, [sha(c, "id") for c in commits])
    change.touches_schema_migration = change.touches_schema_migration or touches_migration(paths)
    change.touched = touched_union(change.touched, paths)
    change.save()
    if not change.pr_number:
        change_link_people(change)
    provenance_refresh(change=change)
    return Delivery.Status.PROCESSED


def pull_request_review(event: GitHubEvent) -> str:
    review = get(event.data, "review", dict)
    state = text(review, "state").lower()
    if event.action != "submitted" or state != "approved":
        raise DeliveryIgnored(f"review {event.action} with state {state or 'none'}, not an approval")
    pr = get(event.data, "pull_request", dict)
    repository = _repository(event.data)
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    number = count(pr, "number")
    if get(pr, "merged_at", default=None):
        change = change_for_merged_pull_request(
            service=service,
            repository=repository,
            number=number,
            merge_sha=sha(pr, "merge_commit_sha"),
            head_sha=sha(pr, "head.sha"),
        )
    else:
        change = change_by_pull_request(
            service=service, repository=repository, number=number, head_sha=sha(pr, "head.sha")
        )
    if agent_account_tool(text(pr, "user.login")):
        drivers = sorted_union(change.driver_logins, _agent_pr_drivers(pr))
        if drivers != change.driver_logins:
            change.driver_logins = drivers
            change.save(update_fields=["driver_logins", "updated_at"])
    reviewer = get(review, "user", dict)
    login = get(reviewer, "login")[:100]
    result, detail = Evidence.Result.PASSED, ""
    if _is_bot(reviewer):
        result, detail = Evidence.Result.WARNED, f"{login} is a bot or AI agent account, not a human reviewer"
    elif login.lower() == text(pr, "user.login").lower():
        result, detail = Evidence.Result.WARNED, f"{login} is the author of the pull request"
    elif login.lower() in {driver.lower() for driver in change.driver_logins}:
        result, detail = Evidence.Result.WARNED, f"{login} drove the AI agent that wrote the pull request"
    Evidence.objects.update_or_create(
        change=change,
        kind=Evidence.Kind.HUMAN_REVIEW,
        source=PROVIDER,
        external_id=f"review:{get(review, 'id', int)}",
        defaults={
            "result": result,
            "detail": detail,
            "url": link(review, "html_url"),
            "sha": text(review, "commit_id", limit=64),
            "actor_login": login[:100],
            "recorded_by": person_by_login(login),
            "at": timestamp(get(review, "submitted_at", default=None), field="review.submitted_at")
            or timezone.now(),
        },
    )
    return Delivery.Status.PROCESSED


_CI_RESULTS = {
    "success": Evidence.Result.PASSED,
    "failure": Evidence.Result.FAILED,
    "timed_out": Evidence.Result.FAILED,
    "startup_failure": Evidence.Result.FAILED,
}


def _ci_evidence(event: GitHubEvent, *, run: dict, external_id: str, url: str, name: str) -> str:
    if event.action != "completed":
        raise DeliveryIgnored(f"{event.name} {event.action}, not completed")
    conclusion = text(run, "conclusion")
    result = _CI_RESULTS.get(conclusion)
    if result is None:
        raise DeliveryIgnored(f"{event.name} concluded {conclusion or 'nothing'}, which is no test result")
    repository = _repository(event.data)
    head_sha = sha(run, "head_sha")
    pull_requests = [p for p in get(run, "pull_requests", list, default=[]) if isinstance(p, dict)]
    default_branch = get(event.data, "repository.default_branch", default="")
    if not pull_requests and text(run, "head_branch") != default_branch:
        raise DeliveryIgnored(
            f"{event.name} ran on {text(run, 'head_branch')}, not the default branch or a PR"
        )
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    if pull_requests:
        change = change_by_pull_request(
            service=service,
            repository=repository,
            number=count(pull_requests[0], "number"),
            head_sha=head_sha,
        )
    else:
        change = change_by_sha(service=service, repository=repository, sha=head_sha)
    Evidence.objects.update_or_create(
        change=change,
        kind=Evidence.Kind.CI_TESTS,
        source=PROVIDER,
        external_id=external_id,
        defaults={
            "result": result,
            "url": url,
            "sha": head_sha[:64],
            "detail": f"{name}: {conclusion}"[:2000],
            "at": timestamp(get(run, "updated_at", default=None), field=f"{event.name}.updated_at")
            or timezone.now(),
        },
    )
    return Delivery.Status.PROCESSED


def check_suite(event: GitHubEvent) -> str:
    suite = get(event.data, "check_suite", dict)
    repository_url = link(event.data, "repository.html_url")
    return _ci_evidence(
        event,
        run=suite,
        external_id=f"check_suite:{get(suite, 'id', int)}",
        url=f"{repository_url}/commit/{sha(suite, 'head_sha')}/checks"[:500] if repository_url else "",
        name=text(suite, "app.name") or "check suite",
    )


def workflow_run(event: GitHubEvent) -> str:
    run = get(event.data, "workflow_run", dict)
    # A re-run is a new attempt with its own result; each attempt is its own evidence.
    attempt = get(run, "run_attempt", int, default=1)
    return _ci_evidence(
        event,
        run=run,
        external_id=f"workflow_run:{get(run, 'id', int)}:{attempt}",
        url=link(run, "html_url"),
        name=text(run, "name") or "workflow",
    )


_DEPLOYMENT_STATUS = {
    "queued": Deployment.Status.QUEUED,
    "pending": Deployment.Status.QUEUED,
    "in_progress": Deployment.Status.IN_PROGRESS,
    "success": Deployment.Status.SUCCEEDED,
    "failure": Deployment.Status.FAILED,
    "error": Deployment.Status.FAILED,
}
_FINAL = {Deployment.Status.SUCCEEDED, Deployment.Status.FAILED, Deployment.Status.ROLLED_BACK}
_RANK = {Deployment.Status.QUEUED: 0, Deployment.Status.IN_PROGRESS: 1}


# One statement whether the deployment is new or not (update_or_create takes five round trips with its
# savepoints); the conflict target repeats the partial unique index's predicate so PostgreSQL infers it.
# Every event of a deployment carries its description; the one with the latest `created_at` wins, so
# descriptions that disagree end the same whatever their order. A stale one updates nothing and returns no
# row, so the row is read instead.
_UPSERT_DEPLOYMENT = f"""
    INSERT INTO {Deployment._meta.db_table} AS row
        (provider, external_id, change_id, environment, started_at, deployed_by_login, deployed_by_id, url,
         status, artifact_id)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '')
    ON CONFLICT (provider, external_id) WHERE external_id <> '' DO UPDATE SET
        change_id = excluded.change_id, environment = excluded.environment, started_at = excluded.started_at,
        deployed_by_login = excluded.deployed_by_login, deployed_by_id = excluded.deployed_by_id,
        url = excluded.url
    WHERE row.started_at IS NULL OR excluded.started_at >= row.started_at
    RETURNING id, status, finished_at
"""  # noqa: S608 - the table name is ours, every value is a parameter


def _deployment_upsert(data: dict) -> Deployment:
    deployment = get(data, "deployment", dict)
    repository = _repository(data)
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    change = change_by_sha(service=service, repository=repository, sha=sha(deployment, "sha"))
    creator = text(deployment, "creator.login", limit=100)
    production = get(deployment, "production_environment", bool, default=None)
    row = Deployment(
        provider=PROVIDER,
        external_id=str(get(deployment, "id", int)),
        change=change,
        environment=environment_name(text(deployment, "environment"), production=production),
        started_at=timestamp(get(deployment, "created_at", default=None), field="deployment.created_at"),
        deployed_by_login=creator,
        deployed_by=person_by_login(creator),
        url=link(deployment, "url"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_DEPLOYMENT,
            [
                row.provider,
                row.external_id,
                change.id,
                row.environment,
                row.started_at,
                row.deployed_by_login,
                row.deployed_by_id,
                row.url,
                Deployment.Status.QUEUED,
            ],
        )
        upserted = cursor.fetchone()
    if upserted is None:
        return Deployment.objects.get(provider=PROVIDER, external_id=row.external_id)
    row.id, row.status, row.finished_at = upserted
    return row


def _deployment_recorded(row: Deployment) -> None:
    analysis_schedule_for_deployment(
        environment=row.environment,
        started_at=row.started_at,
        finished_at=row.finished_at,
        active=row.status not in _FINAL,
    )


def deployment(event: GitHubEvent) -> str:
    _deployment_recorded(_deployment_upsert(event.data))
    return Delivery.Status.PROCESSED


def deployment_status(event: GitHubEvent) -> str:
    """Records the status; never backwards (queued < in progress < final), the newest final one wins."""
    row = _deployment_upsert(event.data)
    status_data = get(event.data, "deployment_status", dict)
    state = get(status_data, "state")
    status = _DEPLOYMENT_STATUS.get(state)
    if status is None:
        return Delivery.Status.PROCESSED  # inactive: superseded by a later deployment, nothing to record
    at = timestamp(get(status_data, "created_at", default=None), field="deployment_status.created_at")
    if status in _FINAL:
        newer = row.status not in _FINAL or (at and (row.finished_at is None or at >= row.finished_at))
        if newer:
            row.status, row.finished_at = status, at
    elif row.status not in _FINAL and _RANK[status] >= _RANK.get(row.status, 0):
        row.status = status
    row.save(update_fields=["status", "finished_at"])
    _deployment_recorded(row)
    return Delivery.Status.PROCESSED


HANDLERS: dict[str, Callable[[GitHubEvent], str]] = {
    "pull_request": pull_request,
    "push": push,
    "pull_request_review": pull_request_review,
    "check_suite": check_suite,
    "workflow_run": workflow_run,
    "deployment": deployment,
    "deployment_status": deployment_status,
}
# The deploy gate, an app above ingest, adds deployment_protection_rule at startup (GateConfig.ready).
