"""Backfill: historical events from a file, stored as deliveries in bulk (COPY into staging, one upsert).

The file holds one JSON object per line:

    {"source": "github-acme", "id": "<delivery id>", "event": "deployment",
     "headers": {...}, "body": {...} or "<raw text>", "received_at": "2025-01-31T12:00:00Z"}

`source` names an existing Source; `id` is the delivery's external id (the same one its webhook carries, so
an event both backfilled and received is stored once); `headers` are those the webhook would carry (lower
case; GitHub's adapter reads the event name from x-github-event); `event`, `headers`, `received_at` are
optional.
Rows are stored pending, exactly as a receiver would have stored them, and applied by the workers: the
periodic sweep enqueues pending deliveries (INGEST_SWEEP_AFTER_SECONDS), so a backfill drains at the
workers' pace without one enqueue per row.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import DataError, connection, transaction

from accountability.ingest.models import Delivery, Source

# Each line goes to PostgreSQL as one field, unchanged: CSV with a quote and a delimiter that JSON text
# never contains unescaped (control characters must be escaped in JSON), so COPY performs no unescaping.
_COPY = "COPY backfill_lines (line) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"

# Each line parsed once and inserted in one statement. OFFSET 0 keeps `staged` a subquery of its own: pulled
# up, its `line::jsonb` would be copied into each of the eleven uses of `doc`, and every line parsed eleven
# times (34 of the 47 s a million lines took, with a table of ready rows written and read back in between).
# `parsed` is read twice, so PostgreSQL materializes it; its count splits duplicates (parsed, not inserted)
# from skipped lines (not parsed).
_UPSERT = f"""
    WITH parsed AS MATERIALIZED (
        SELECT source.id AS source_id,
               left(staged.doc->>'id', 200) AS external_id,
               left(coalesce(staged.doc->>'event', ''), 200) AS event_type,
               coalesce(staged.doc->'headers', '{{}}'::jsonb) AS headers,
               convert_to(CASE jsonb_typeof(staged.doc->'body') WHEN 'string' THEN staged.doc->>'body'
                          ELSE (staged.doc->'body')::text END, 'UTF8') AS body,
               coalesce((staged.doc->>'received_at')::timestamptz, now()) AS received_at
        FROM (SELECT line::jsonb AS doc FROM backfill_lines OFFSET 0) AS staged
        JOIN {Source._meta.db_table} AS source
          ON jsonb_typeof(staged.doc) = 'object' AND source.name = staged.doc->>'source'
        WHERE coalesce(staged.doc->>'id', '') <> '' AND staged.doc ? 'body'
    ), inserted AS (
        INSERT INTO {Delivery._meta.db_table}
            (source_id, external_id, event_type, headers, body, received_at, status, attempts, error)
        SELECT source_id, external_id, event_type, headers, body, received_at, %s, 0, ''
        FROM parsed
        ON CONFLICT (source_id, external_id) DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM parsed), (SELECT count(*) FROM inserted)
"""  # noqa: S608 - the table names are ours, the one value a parameter


class BackfillError(ValueError):
    """The file cannot be backfilled; nothing was stored."""


@dataclass(frozen=True)
class BackfillResult:
    read: int
    stored: int
    duplicates: int  # already stored, or twice in the file
    skipped: int  # not an object, no such source, no id or no body


def deliveries_backfill(*, path: Path) -> BackfillResult:
    """Stores every event of the file as a pending delivery, once per (source, id).

    1. COPY the file's non-blank lines, unparsed, into a temporary table (streamed in batches).
    2. One statement parses each line once, in PostgreSQL, and inserts the rows with ON CONFLICT DO NOTHING:
       lines that are not an object, name no known source, or lack an id or a body are skipped (counted,
       reported); an event already stored (backfilled before, or received by webhook) is a duplicate, not
       an error.
    All in one transaction: a line that is not JSON (or a bad received_at) refuses the whole file.
    """
    if not path.is_file():
        raise BackfillError(f"{path} is not a file")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE backfill_lines (line text) ON COMMIT DROP")
            read = _copy_lines(cursor, path)
            cursor.execute(_UPSERT, [Delivery.Status.PENDING])
            ready, stored = cursor.fetchone()
            # Dropped at commit anyway; dropped here too for a caller already inside a transaction.
            cursor.execute("DROP TABLE backfill_lines")
    except DataError as error:
        raise BackfillError(f"{path}: {_first_bad_line(path) or str(error).splitlines()[0]}") from None
    return BackfillResult(read=read, stored=stored, duplicates=ready - stored, skipped=read - ready)


def _copy_lines(cursor, path: Path, batch_lines: int = 10_000) -> int:
    """Streams the non-blank lines into the staging table; returns how many. Blank lines are dropped here,
    while streaming, so that PostgreSQL needs no extra pass to delete or count them."""
    count, batch = 0, []
    with path.open("rb") as file, cursor.copy(_COPY) as copy:
        for line in file:
            if not line.strip():
                continue
            batch.append(line if line.endswith(b"\n") else line + b"\n")
            count += 1
            if len(batch) == batch_lines:
                copy.write(b"".join(batch))
                batch.clear()
        if batch:
            copy.write(b"".join(batch))
    return count


def _first_bad_line(path: Path) -> str:
    """Names the first line that is not JSON (only looked for once the file was refused)."""
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError:
                return f"line {number} is not JSON"
    return ""
