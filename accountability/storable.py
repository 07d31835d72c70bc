"""Text that PostgreSQL can store, for everything that arrives from outside.

PostgreSQL text and jsonb cannot hold a NUL character, and a lone UTF-16 surrogate (JSON allows `"\\ud800"`)
cannot be encoded as UTF-8 at all. No sender means either, so every importer and adapter passes what it parsed
through `storable` once, at its entrance, instead of each field guarding itself.
"""

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` without NUL characters, with lone surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub(lambda match: "" if match.group() == "\x00" else "\ufffd", value)


def storable(value: Any) -> Any:
    """A parsed document (dicts, lists, strings, numbers) with every string, key included, made storable."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
