"""CODEOWNERS: parse a file into rules, match paths the way GitHub does, store rules as PathOwner rows.

GitHub's rules (docs "About code owners"):
- patterns follow .gitignore, except that `!` negation, `[ ]` ranges and `\\#` escapes do not work: such lines
  are invalid and skipped, as are lines with an invalid owner;
- a pattern with a `/` at its start or in its middle is anchored at the repository root, otherwise it
  matches at any depth; a trailing `/` matches a directory (everything under it);
- `*` matches within one path segment, `**` across segments; `docs/*` matches files directly in docs/ only;
- the last matching rule wins, and a rule with no owners leaves the path deliberately unowned.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction

from accountability.catalog.models import PathOwner, RecordSource
from accountability.storable import storable_text

OWNER = re.compile(r"^(@[A-Za-z0-9](?:[A-Za-z0-9-]*)(?:/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")


@dataclass(frozen=True)
class Rule:
    line: int
    pattern: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def codeowners_parse(text: str) -> tuple[list[Rule], list[Problem]]:
    """Rules in file order, and the lines skipped with why."""
    rules, problems = [], []
    for number, raw in enumerate(storable_text(text).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # An unescaped " #" starts a trailing comment.
        line = re.split(r"\s#", line, maxsplit=1)[0].strip()
        pattern, *owners = line.split()
        if pattern.startswith("!"):
            problems.append(Problem(number, f"negation is not supported: {pattern!r}"))
            continue
        if "[" in pattern or "]" in pattern:
            problems.append(Problem(number, f"character ranges are not supported: {pattern!r}"))
            continue
        if pattern.startswith("\\#"):
            problems.append(Problem(number, f"escaping # is not supported: {pattern!r}"))
            continue
        if pattern == "/":
            problems.append(Problem(number, "the pattern '/' never matches anything (did you mean '*'?)"))
            continue
        invalid = [owner for owner in owners if not OWNER.match(owner)]
        if invalid:
            problems.append(Problem(number, f"invalid owner {invalid[0]!r}"))
            continue
        rules.append(Rule(line=number, pattern=pattern, owners=tuple(owners)))
    return rules, problems


# A compiled pattern is a sequence of items over the characters of the path, matched by simulating every
# way through it at once (a Thompson NFA), so the work is the path's length times the pattern's, whatever
# the pattern: a backtracking regex took seconds for `**/**/**/**/**/**/**/**/zz` on a deep path (issue 14).
#   ("lit", c)   one character c            ("one", None) one character but "/"
#   ("star",)    [^/]*: within one segment  ("segs",)     (?:[^/]+/)*: zero or more whole directories
#   ("any",)     .*: the rest of the path   ("rest",)     /.+: a slash and at least one character
#   ("optrest",) (?:/.+)?: the end of the path, or a slash and at least one character
Item = tuple


@lru_cache(maxsize=4096)
def pattern_items(pattern: str) -> tuple[Item, ...]:
    """Compile one CODEOWNERS pattern into items over a path without a leading slash.

    1. A pattern with a `/` before its end is anchored at the root; otherwise any directories may precede
       it (a leading `segs`).
    2. Each segment: `**` is `segs` (zero or more directories) or, last, `any`; consecutive `**` are one
       `segs`, which changes nothing it matches and keeps the item list short; `*` and `?` stay within the
       segment; other characters are literal.
    3. The end: a trailing `/` wants something below the directory (`rest`); `dir/*` anchored and `…/**`
       end there; any other name matches a file, or a directory and everything below it (`optrest`).
    """
    anchored = "/" in pattern.rstrip("/")
    directory_only = pattern.endswith("/")
    segments = pattern.strip("/").split("/")
    items: list[Item] = [] if anchored else [("segs",)]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            if last:
                items.append(("any",))
            elif not items or items[-1] != ("segs",):
                items.append(("segs",))
            continue
        for char in segment:
            items.append(("star",) if char == "*" else ("one", None) if char == "?" else ("lit", char))
        if not last:
            items.append(("lit", "/"))
    if directory_only:
        items.append(("rest",))
    elif not ((segments[-1] == "*" and anchored) or segments[-1] == "**"):
        items.append(("optrest",))
    return tuple(items)


# States are (item index, phase). Phases: "segs" 0 between directories, 1 inside one; "rest"/"optrest"
# 0 before the slash, 1 after it, 2 after at least one character more.
def _closure(items: tuple[Item, ...], states: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The states reachable without reading a character (skipping what may match nothing)."""
    stack, seen = list(states), set(states)
    while stack:
        index, phase = stack.pop()
        if index == len(items):
            continue
        kind = items[index][0]
        skippable = (
            (kind in ("star", "any", "segs") and phase == 0)
            or (kind == "optrest" and phase in (0, 2))
            or (kind == "rest" and phase == 2)
        )
        if skippable and (index + 1, 0) not in seen:
            seen.add((index + 1, 0))
            stack.append((index + 1, 0))
    return seen


def _step(items: tuple[Item, ...], state: tuple[int, int], char: str) -> tuple[int, int] | None:
    index, phase = state
    if index == len(items):
        return None
    kind = items[index][0]
    if kind == "lit":
        return (index + 1, 0) if char == items[index][1] else None
    if kind == "one":
        return (index + 1, 0) if char != "/" else None
    if kind == "star":
        return state if char != "/" else None
    if kind == "any":
        return state if char != "\n" else None  # `.` as the regex had it
    if kind == "segs":
        if char == "/":
            return (index, 0) if phase == 1 else None
        return (index, 1)
    # rest, optrest: "/" then one or more characters but a newline
    if phase == 0:
        return (index, 1) if char == "/" else None
    return (index, 2) if char != "\n" else None


def pattern_matches(pattern: str, path: str) -> bool:
    """Whether a CODEOWNERS pattern matches `path` (no leading slash), in time linear in the path."""
    items = pattern_items(pattern)
    states = _closure(items, {(0, 0)})
    for char in path:
        states = _closure(items, {moved for state in states if (moved := _step(items, state, char))})
        if not states:
            return False
    return (len(items), 0) in states


def rule_for_path(rules: list[Rule], path: str) -> Rule | None:
    """The last rule matching `path`, or None when no rule matches (unmatched, not unowned)."""
    path = path.lstrip("/")
    for rule in reversed(rules):
        if pattern_matches(rule.pattern, path):
            return rule
    return None


def owners_for_path(rules: list[Rule], path: str) -> list[str]:
    """Pure: the owners of `path` under `rules` ([] when unmatched or deliberately unowned)."""
    rule = rule_for_path(rules, path)
    return list(rule.owners) if rule else []


def path_owners_for(*, repository: str, path: str) -> list[str]:
    """The owners of `path` in `repository` from its stored CODEOWNERS rules."""
    rows = PathOwner.objects.filter(repository__iexact=repository).order_by("line")
    rules = [Rule(line=row.line, pattern=row.pattern, owners=tuple(row.owners)) for row in rows]
    return owners_for_path(rules, path)


def codeowners_import(*, repository: str, text: str) -> tuple[int, list[Problem]]:
    """Replace the repository's PathOwner rows with the rules of `text`; returns (rules stored, problems).

    The whole file is the unit: rules removed from the file disappear, and a re-import of the same file
    leaves the same rows.
    """
    rules, problems = codeowners_parse(text)
    with transaction.atomic():
        PathOwner.objects.filter(repository__iexact=repository).delete()
        PathOwner.objects.bulk_create(
            PathOwner(
                repository=repository,
                pattern=rule.pattern,
                owners=list(rule.owners),
                line=rule.line,
                record_source=RecordSource.CODEOWNERS,
            )
            for rule in rules
        )
    return len(rules), problems
