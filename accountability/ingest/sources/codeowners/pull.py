"""CODEOWNERS pull: the raw file of each configured repository, stored when it changed.

`source.config`: {"repositories": ["owner/name", ...], "branch": "main"}; `source.url` is the raw-content
base (default https://raw.githubusercontent.com), fetched as `<url>/<owner/name>/<branch>/<path>` trying the
places GitHub looks, in its order: .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS. The cursor keeps the
digest of each repository's last file, saved after each repository, so a failure resumes with the next one
and an unchanged file is not stored again.
"""

from accountability.ingest.models import Source
from accountability.ingest.pull_http import PullError, PullSession
from accountability.ingest.pull_store import cursor_save, digest, item_store
from accountability.ingest.sources.codeowners.delivery import EVENT, REPOSITORY_HEADER

RAW = "https://raw.githubusercontent.com"
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def pull(*, source: Source) -> int:
    repositories = source.config.get("repositories") or []
    if not isinstance(repositories, list) or not repositories:
        raise PullError('config has no "repositories": ["owner/name", ...]')
    branch = source.config.get("branch", "HEAD")
    headers = {"Authorization": f"Bearer {source.token}"} if source.token else {}
    session = PullSession(headers=headers)
    base = (source.url or RAW).rstrip("/")
    stored = 0
    for repository in repositories:
        for location in LOCATIONS:
            response = session.get(f"{base}/{repository}/{branch}/{location}", allow_404=True)
            if response is not None:
                break
        else:
            cursor_save(source, {**source.cursor, repository: {"missing": True}})
            continue
        text = response.content
        file_digest = digest(text)
        if source.cursor.get(repository, {}).get("digest") != file_digest:
            stored += item_store(
                source=source,
                external_id=f"pull:codeowners:{repository}@{file_digest[:32]}",
                event_type=EVENT,
                headers={REPOSITORY_HEADER: repository, "x-codeowners-path": location},
                body=text,
            )
        cursor_save(source, {**source.cursor, repository: {"digest": file_digest, "path": location}})
    return stored
