"""What a change touched, from the paths it changed: runtime code, config, a schema migration,
infrastructure, docs or tests (DESIGN §12).

A docs- or tests-only change cannot break what runs, so suspect ranking says so; a schema migration or an
infrastructure change is a strong reason on its own. The rules are settings (CHANGE_PATH_CLASSES): the
first rule whose pattern matches a path gives its kind, a path no rule matches is runtime code.
"""

import re
from collections.abc import Iterable
from functools import cache

from django.conf import settings

RUNTIME = "runtime"
CONFIG = "config"
SCHEMA = "schema"
INFRASTRUCTURE = "infrastructure"
DOCS = "docs"
TESTS = "tests"
KINDS = (SCHEMA, INFRASTRUCTURE, CONFIG, RUNTIME, DOCS, TESTS)
# Kinds that cannot change what runs in production.
INERT = frozenset({DOCS, TESTS})


@cache
def _rules(classes: tuple[tuple[str, str], ...]) -> list[tuple[str, re.Pattern]]:
    rules = []
    for kind, pattern in classes:
        if kind not in KINDS:
            raise ValueError(f"CHANGE_PATH_CLASSES: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        rules.append((kind, re.compile(pattern, re.IGNORECASE)))
    return rules


def path_kind(path: str) -> str:
    rules = _rules(tuple(tuple(rule) for rule in settings.CHANGE_PATH_CLASSES))
    return next((kind for kind, pattern in rules if pattern.search(path)), RUNTIME)


def touched_kinds(paths: Iterable[str]) -> list[str]:
    """The kinds of `paths`, sorted; empty when no path is known (which is not "touched nothing")."""
    return sorted({path_kind(path) for path in paths if path})


def touched_union(known: list[str], paths: Iterable[str]) -> list[str]:
    return sorted(set(known) | set(touched_kinds(paths)))


def touched_only_inert(kinds: Iterable[str]) -> bool:
    """True when the change is known to touch only docs and tests (unknown is not inert)."""
    kinds = set(kinds)
    return bool(kinds) and kinds <= INERT
