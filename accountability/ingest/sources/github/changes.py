"""GitHub events that make a change: a merged pull request, a push to the default branch, an approving
review (the rules in github/__init__.py's docstring).
"""

import re

from django.utils import timezone

from accountability.changes.identity import (
    change_by_pull_request,
    change_by_sha,
    change_for_merged_pull_request,
    sorted_union,
)
from accountability.changes.models import Commit, Evidence
from accountability.changes.provenance import provenance_refresh
from accountability.changes.provenance_signals import agent_account_tool
from accountability.changes.registry import registry_current
from accountability.changes.touched import touched_union
from accountability.ingest.errors import DeliveryIgnored
from accountability.ingest.models import Delivery
from accountability.ingest.payload import (
    count,
    get,
    link,
    sha,
    text,
)
from accountability.ingest.sources.github.webhook import PROVIDER, GitHubEvent, is_bot, repository_name
from accountability.ingest.upserts import (
    change_link_people,
    lock,
    person_by_login,
    service_for_repository,
    timestamp,
    touches_migration,
)

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
        if isinstance(user, dict) and text(user, "login") and not is_bot(user):
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
    repository = repository_name(event.data)
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
    repository = repository_name(data)
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
    _commits_store(change, commits)
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


def _commits_store(change, commits: list[dict]) -> None:
    """The pushed commits as Commit rows of the change, their messages and authors as the push says."""
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


def pull_request_review(event: GitHubEvent) -> str:
    review = get(event.data, "review", dict)
    state = text(review, "state").lower()
    if event.action != "submitted" or state != "approved":
        raise DeliveryIgnored(f"review {event.action} with state {state or 'none'}, not an approval")
    pr = get(event.data, "pull_request", dict)
    repository = repository_name(event.data)
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
    if is_bot(reviewer):
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
