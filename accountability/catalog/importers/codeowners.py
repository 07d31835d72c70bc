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


@lru_cache(maxsize=4096)
def pattern_regex(pattern: str) -> re.Pattern:
    """Translate one CODEOWNERS pattern into a regular expression over a path without a leading slash."""
    anchored = "/" in pattern.rstrip("/")
    directory_only = pattern.endswith("/")
    body = pattern.strip("/")
    segments = body.split("/")
    parts = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # "**/x" any depth before, "x/**" everything below, "a/**/b" zero or more directories.
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        translated = "".join(
            "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char) for char in segment
        )
        parts.append(translated if last else translated + "/")
    regex = "".join(parts)
    prefix = "" if anchored else "(?:[^/]+/)*"
    if directory_only:
        suffix = "/.+"
    elif segments[-1] == "*" and anchored:
        suffix = ""  # "docs/*": files directly inside docs/ only
    elif segments[-1] == "**":
        suffix = ""
    else:
        suffix = "(?:/.+)?"  # a name matches a file, or a directory and everything below it
    return re.compile(f"^{prefix}{regex}{suffix}$")


def rule_for_path(rules: list[Rule], path: str) -> Rule | None:
    """The last rule matching `path`, or None when no rule matches (unmatched, not unowned)."""
    path = path.lstrip("/")
    for rule in reversed(rules):
        if pattern_regex(rule.pattern).match(path):
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
