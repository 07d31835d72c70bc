"""Upserting many stored results at once: COPY into a temporary table, then one INSERT … ON CONFLICT.

Recomputing the recent changes writes tens of thousands of rows with JSON payloads; binding them as
query parameters costs more than computing them. COPY streams them instead.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, transaction


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def upsert_copy(
    *,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    conflict: Sequence[str],
    update: Sequence[str],
) -> int:
    """Inserts `rows` (values in `columns` order; JSON as already-encoded strings) into `table`,
    updating `update` columns of rows that conflict on `conflict`. Returns the number of rows.

    Table and column names are our own constants, never input.
    """
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        staging, count = _copy_to_staging(cursor, table=table, columns=columns, rows=rows)
        assignments = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in update)
        cursor.execute(
            f"INSERT INTO {table} ({_quoted(columns)}) SELECT {_quoted(columns)} FROM {staging} "  # noqa: S608
            f"ON CONFLICT ({_quoted(conflict)}) DO UPDATE SET {assignments}"
        )
        cursor.execute(f"DROP TABLE {staging}")
    return count


def _copy_to_staging(
    cursor, *, table: str, columns: Sequence[str], rows: Iterable[Sequence]
) -> tuple[str, int]:
    """COPYs `rows` into a temporary table shaped like `table` (dropped at commit); returns its name and
    the number of rows."""
    staging = f"staging_{table}"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT {_quoted(columns)} FROM {table} WITH NO DATA"
    )
    count = 0
    with cursor.copy(f"COPY {staging} ({_quoted(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return staging, count


def update_copy(*, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Updates existing rows by id: `columns[0]` must be "id", the rest are set from each row."""
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        staging, count = _copy_to_staging(cursor, table=table, columns=columns, rows=rows)
        assignments = ", ".join(f'"{name}" = {staging}."{name}"' for name in columns[1:])
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {staging} WHERE {table}.id = {staging}.id"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {staging}")
    return count
