"""GitHub REST pull: merged pull requests (with commits, files and reviews), deployments and their statuses.

Each item is wrapped as the webhook GitHub would have sent, so the GitHub adapter maps pulled and pushed data
the same way: a merged PR → `pull_request` closed; its commits → `push` of those commits with the merge sha
as head (provenance is gathered from every commit of the PR, as after a squash merge); each review →
`pull_request_review` submitted; each deployment → `deployment`; each status → `deployment_status`.

`source.config`: {"repositories": ["owner/name", ...], "deployment_lookback_hours": 24}; `source.url`
defaults to https://api.github.com; `source.token` is sent as a bearer token.

Cursor, per repository: pull requests are walked newest-updated first down to the high-water mark of the
last complete walk; the walk's next page URL is saved after every page, so a failure (or a rate-limit pause)
resumes on that page. Deployments are walked the same way by creation time, re-reading statuses of the
deployments of the last `deployment_lookback_hours`, which may still change.
"""

import base64
from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accountability.ingest.models import Source
from accountability.ingest.pull_http import PullError, PullSession
from accountability.ingest.pull_store import cursor_save, item_store
from accountability.ingest.sources.ci_api import events as intake

API = "https://api.github.com"
PAGE = 100


def session_for(source: Source) -> PullSession:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if source.token:
        headers["Authorization"] = f"Bearer {source.token}"
    return PullSession(headers=headers)


def _pages(session: PullSession, url: str, params: dict | None = None):
    """(page items, URL of the next page or None), following `Link: <…>; rel="next"`."""
    while url:
        response = session.get(url, params=params)
        try:
            items = response.json()
        except ValueError:
            raise PullError(f"GET {url} did not answer JSON") from None
        if not isinstance(items, list):
            raise PullError(f"GET {url} did not answer a list")
        url, params = response.links.get("next", {}).get("url"), None
        yield items, url


def _all(session: PullSession, url: str) -> list:
    return [item for items, _ in _pages(session, url, {"per_page": PAGE}) for item in items]


def _headers(event: str, external_id: str) -> dict:
    return {"x-github-event": event, "x-github-delivery": external_id, "content-type": "application/json"}


def pull(*, source: Source) -> int:
    """Pull every configured repository; returns how many new deliveries were stored."""
    repositories = source.config.get("repositories") or []
    if not isinstance(repositories, list) or not repositories:
        raise PullError('config has no "repositories": ["owner/name", ...]')
    session = session_for(source)
    base = (source.url or API).rstrip("/")
    stored = 0
    for full_name in repositories:
        repository = session.json(f"{base}/repos/{full_name}")
        notes = GitAiNotes(source, session, f"{base}/repos/{full_name}", full_name)
        stored += _pull_requests(source, session, base, repository, notes)
        stored += _deployments(source, session, base, repository)
    return stored


class GitAiNotes:
    """git-ai authorship notes of a repository (`refs/notes/ai`), read through the git data API.

    The notes ref is a commit whose tree holds one blob per annotated commit, named by the commit's sha
    (split as `ab/cdef…` once there are many). The tree is read once per run, and only if the ref exists.
    A note found for a commit of a pulled PR is stored as a `provenance.recorded` delivery of the `api`-kind
    source `<source>-git-ai-notes`, which the intake adapter applies like notes sent by CI.
    """

    def __init__(self, source: Source, session: PullSession, repo_url: str, full_name: str):
        self.source, self.session, self.repo_url, self.full_name = source, session, repo_url, full_name
        self.enabled = source.config.get("git_ai_notes", True)
        self._blobs: dict[str, str] | None = None

    def _tree(self) -> dict[str, str]:
        if self._blobs is None:
            self._blobs = {}
            ref = self.session.get(f"{self.repo_url}/git/ref/notes/ai", allow_404=True)
            if ref is not None:
                commit = self.session.json(f"{self.repo_url}/git/commits/{ref.json()['object']['sha']}")
                tree = self.session.json(
                    f"{self.repo_url}/git/trees/{commit['tree']['sha']}", params={"recursive": "1"}
                )
                self._blobs = {
                    entry["path"].replace("/", "").lower(): entry["sha"]
                    for entry in tree.get("tree", [])
                    if entry.get("type") == "blob"
                }
        return self._blobs

    def store_for(self, shas: list[str]) -> int:
        if not self.enabled:
            return 0
        blobs = self._tree()
        notes = []
        for sha in dict.fromkeys(sha.lower() for sha in shas if sha):
            if sha in blobs:
                blob = self.session.json(f"{self.repo_url}/git/blobs/{blobs[sha]}")
                try:
                    text = base64.b64decode(blob.get("content", "")).decode()
                except (ValueError, UnicodeDecodeError):
                    continue
                notes.append({"commit_sha": sha, "note": text, "blob": blobs[sha]})
        if not notes:
            return 0
        notes_source, _ = Source.objects.get_or_create(
            name=f"{self.source.name}-git-ai-notes"[:100], defaults={"kind": Source.Kind.API}
        )
        stored = 0
        for note in notes:
            stored += item_store(
                source=notes_source,
                external_id=f"pull:git-ai-note:{self.full_name}:{note['commit_sha']}:{note['blob']}",
                event_type=intake.PROVENANCE_RECORDED,
                headers={
                    intake.EVENT_HEADER: intake.PROVENANCE_RECORDED,
                    intake.TOKEN_HEADER: self.source.name,
                },
                body={
                    "repository": self.full_name,
                    "git_ai_notes": [{"commit_sha": note["commit_sha"], "note": note["note"]}],
                },
            )
        return stored


def _repo_cursor(source: Source, full_name: str, part: str) -> dict:
    return dict(source.cursor.get(full_name, {}).get(part, {}))


def _save(source: Source, full_name: str, part: str, state: dict) -> None:
    cursor = dict(source.cursor)
    cursor[full_name] = {**cursor.get(full_name, {}), part: state}
    cursor_save(source, cursor)


def _pull_requests(
    source: Source, session: PullSession, base: str, repository: dict, notes: GitAiNotes
) -> int:
    full_name = repository["full_name"]
    state = _repo_cursor(source, full_name, "pulls")
    since = state.get("since", "")
    high = state.get("high", since)
    url = state.get("next") or f"{base}/repos/{full_name}/pulls"
    params = (
        None
        if state.get("next")
        else {"state": "closed", "sort": "updated", "direction": "desc", "per_page": PAGE}
    )
    stored = 0
    for items, next_url in _pages(session, url, params):
        done = False
        for summary in items:
            updated = summary.get("updated_at") or ""
            if since and updated <= since:
                done = True
                break
            high = max(high, updated)
            if summary.get("merged_at"):
                stored += _pull_request(source, session, base, repository, summary["number"], notes)
        _save(source, full_name, "pulls", {"since": since, "high": high, "next": None if done else next_url})
        if done:
            break
    _save(source, full_name, "pulls", {"since": high, "high": high, "next": None})
    return stored


def _as_pushed(commits: list, files: list[str]) -> list[dict]:
    """A PR's commits as a push webhook lists them: the merge of a PR is the push of its commits."""
    pushed = [
        {
            "id": c["sha"],
            "message": (c.get("commit") or {}).get("message", ""),
            "timestamp": ((c.get("commit") or {}).get("author") or {}).get("date"),
            "author": {
                "name": ((c.get("commit") or {}).get("author") or {}).get("name", ""),
                "email": ((c.get("commit") or {}).get("author") or {}).get("email", ""),
                "username": (c.get("author") or {}).get("login", ""),
            },
            "added": [],
            "removed": [],
            "modified": [],
        }
        for c in commits
        if isinstance(c, dict) and c.get("sha")
    ]
    # The PR's files, listed once, so a migration in any of them marks the change.
    pushed[-1]["modified"] = [f for f in files if f]
    return pushed


def _pull_request(
    source: Source, session: PullSession, base: str, repository: dict, number: int, notes: GitAiNotes
) -> int:
    full_name = repository["full_name"]
    pr_url = f"{base}/repos/{full_name}/pulls/{number}"
    pr = session.json(pr_url)
    key = f"{full_name}#{number}@{pr.get('updated_at', '')}"
    stored = int(
        item_store(
            source=source,
            external_id=f"pull:pr:{key}",
            event_type="pull_request.closed",
            headers=_headers("pull_request", f"pull:pr:{key}"),
            body={"action": "closed", "number": number, "pull_request": pr, "repository": repository},
        )
    )
    commits = _all(session, f"{pr_url}/commits")
    files = [f.get("filename") for f in _all(session, f"{pr_url}/files") if isinstance(f, dict)]
    if commits and pr.get("merge_commit_sha"):
        pushed = _as_pushed(commits, files)
        stored += item_store(
            source=source,
            external_id=f"pull:pr-commits:{key}",
            event_type="push",
            headers=_headers("push", f"pull:pr-commits:{key}"),
            body={
                "ref": f"refs/heads/{repository.get('default_branch', '')}",
                "after": pr["merge_commit_sha"],
                "commits": pushed,
                "repository": repository,
            },
        )
    commit_shas = [c.get("sha", "") for c in commits if isinstance(c, dict)]
    stored += notes.store_for([*commit_shas, pr.get("merge_commit_sha") or ""])
    for review in _all(session, f"{pr_url}/reviews"):
        if not isinstance(review, dict) or "id" not in review:
            continue
        review_key = f"pull:review:{full_name}#{number}:{review['id']}:{review.get('state', '')}"
        stored += item_store(
            source=source,
            external_id=review_key,
            event_type="pull_request_review.submitted",
            headers=_headers("pull_request_review", review_key),
            body={"action": "submitted", "review": review, "pull_request": pr, "repository": repository},
        )
    return stored


def _deployments(source: Source, session: PullSession, base: str, repository: dict) -> int:
    full_name = repository["full_name"]
    state = _repo_cursor(source, full_name, "deployments")
    lookback = timedelta(hours=float(source.config.get("deployment_lookback_hours", 24)))
    since = state.get("since", "")
    high = state.get("high", since)
    url = state.get("next") or f"{base}/repos/{full_name}/deployments"
    params = None if state.get("next") else {"per_page": PAGE}
    stored = 0
    for items, next_url in _pages(session, url, params):
        done = False
        for deployment in items:
            created = deployment.get("created_at") or ""
            if since and created <= since:
                done = True
                break
            high = max(high, created)
            stored += _deployment(source, session, repository, deployment)
        _save(
            source,
            full_name,
            "deployments",
            {"since": since, "high": high, "next": None if done else next_url},
        )
        if done:
            break
    # Statuses of recent deployments may still move (in progress → success): the next walk reads them again.
    moved_back = parse_datetime(high) - lookback if high else None
    since = min(high, moved_back.isoformat().replace("+00:00", "Z")) if moved_back else high
    _save(
        source,
        full_name,
        "deployments",
        {"since": since, "high": high, "next": None, "at": timezone.now().isoformat()},
    )
    return stored


def _deployment(source: Source, session: PullSession, repository: dict, deployment: dict) -> int:
    full_name = repository["full_name"]
    key = f"{full_name}:{deployment['id']}"
    stored = int(
        item_store(
            source=source,
            external_id=f"pull:deployment:{key}@{deployment.get('updated_at', '')}",
            event_type="deployment.created",
            headers=_headers("deployment", f"pull:deployment:{key}"),
            body={"action": "created", "deployment": deployment, "repository": repository},
        )
    )
    statuses_url = deployment.get("statuses_url") or f"{deployment.get('url', '')}/statuses"
    # GitHub lists statuses newest first; apply them oldest first, as they happened.
    for status in reversed(_all(session, statuses_url)):
        if not isinstance(status, dict) or "id" not in status:
            continue
        stored += item_store(
            source=source,
            external_id=f"pull:deployment_status:{key}:{status['id']}",
            event_type="deployment_status.created",
            headers=_headers("deployment_status", f"pull:deployment_status:{key}:{status['id']}"),
            body={
                "action": "created",
                "deployment_status": status,
                "deployment": deployment,
                "repository": repository,
            },
        )
    return stored
