"""Cursor pagination for /api/v1/ lists: an opaque, signed cursor over a stable ordering.

Keyset, not offset: a page costs the same deep in a long list, and rows added meanwhile do not shift the
pages a client is walking through. The cursor holds the last row's sort key, signed so a client cannot
hand-craft one (a tampered or foreign cursor is a 422 naming `query.cursor`).
"""

from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import F, Q, QuerySet

from accountability.api.errors import ApiError

SALT = "accountability.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _invalid() -> ApiError:
    return ApiError(
        422,
        "the cursor is not valid",
        [{"field": "query.cursor", "message": "pass back next_cursor of a previous page, unchanged"}],
    )


def cursor_encode(*, kind: str, values: list[Any]) -> str:
    return signing.dumps([kind, *values], salt=SALT, compress=True)


def cursor_decode(*, kind: str, cursor: str, size: int) -> list[Any]:
    try:
        data = signing.loads(cursor, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise _invalid() from None
    if not isinstance(data, list) or len(data) != size + 1 or data[0] != kind:
        raise _invalid()
    return data[1:]


def page_by_time(
    queryset: QuerySet, *, field: str, kind: str, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    """Rows ordered by `field` descending (empty values last), then id descending; and the next cursor."""
    if cursor:
        raw, last_id = cursor_decode(kind=kind, cursor=cursor, size=2)
        if not isinstance(last_id, int) or not (raw is None or isinstance(raw, str)):
            raise _invalid()
        if raw is None:
            queryset = queryset.filter(**{f"{field}__isnull": True, "id__lt": last_id})
        else:
            try:
                value = datetime.fromisoformat(raw)
            except ValueError:
                raise _invalid() from None
            queryset = queryset.filter(
                Q(**{f"{field}__lt": value})
                | Q(**{field: value, "id__lt": last_id})
                | Q(**{f"{field}__isnull": True})
            )
    rows = list(queryset.order_by(F(field).desc(nulls_last=True), "-id")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    value = getattr(last, field)
    return rows, cursor_encode(kind=kind, values=[value.isoformat() if value else None, last.id])


def page_by_unique(
    queryset: QuerySet, *, field: str, kind: str, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    """Rows ordered by a unique text `field` ascending (a slug); and the next cursor."""
    if cursor:
        (last,) = cursor_decode(kind=kind, cursor=cursor, size=1)
        if not isinstance(last, str):
            raise _invalid()
        queryset = queryset.filter(**{f"{field}__gt": last})
    rows = list(queryset.order_by(field)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_encode(kind=kind, values=[getattr(rows[-1], field)])
