"""Backstage catalog pull: every entity from /api/catalog/entities, stored as one snapshot delivery.

The catalog is imported as a whole (`consumesApis` resolves through whichever entity provides the API, and a
component's edges are replaced by what the catalog says now), so the pages of one run are gathered first and
stored as one delivery whose id is the digest of the catalog: an unchanged catalog is stored, and applied,
once. The cursor records the digest and size of the last snapshot; a run that fails part-way stores
nothing and the next run starts again (a catalog is read in seconds, unlike a repository's history).

`source.url` is the Backstage base URL; `source.token`, if set, is sent as a bearer token;
`source.config` may set "page_size" (default 500).
"""

import json

from accountability.ingest.models import Source
from accountability.ingest.pull_http import PullError, PullSession
from accountability.ingest.pull_store import cursor_save, digest, item_store
from accountability.ingest.sources.backstage.delivery import EVENT

PAGE = 500


def pull(*, source: Source) -> int:
    if not source.url:
        raise PullError("the Backstage source has no URL")
    headers = {"Accept": "application/json"}
    if source.token:
        headers["Authorization"] = f"Bearer {source.token}"
    session = PullSession(headers=headers)
    url = f"{source.url.rstrip('/')}/api/catalog/entities"
    size = int(source.config.get("page_size", PAGE))
    entities, offset = [], 0
    while True:
        page = session.json(url, params={"limit": size, "offset": offset})
        if not isinstance(page, list):
            raise PullError(f"GET {url} did not answer a list of entities")
        entities.extend(page)
        offset += len(page)
        if len(page) < size:
            break
    body = json.dumps(entities, sort_keys=True, separators=(",", ":")).encode()
    snapshot = digest(body)
    stored = item_store(
        source=source,
        external_id=f"pull:catalog:{snapshot}",
        event_type=EVENT,
        headers={"content-type": "application/json"},
        body=body,
    )
    cursor_save(source, {"digest": snapshot, "entities": len(entities)})
    return int(stored)
