"""Hypothesis strategies for the parser fuzz tests: any JSON, and real samples with one part replaced."""

import json
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Bounded so that the whole suite stays fast; failures found are kept as regression tests.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def mutated(draw, documents: list):
    """One of `documents` (parsed JSON) with one node, anywhere, replaced by any JSON value or deleted."""
    document = draw(st.sampled_from(documents))
    path = draw(st.sampled_from(list(_paths(document))))
    if path and draw(st.booleans()):
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        trimmed = dict(parent) if isinstance(parent, dict) else list(parent)
        del trimmed[path[-1]]
        return _replaced(document, path[:-1], trimmed)
    return _replaced(document, path, draw(json_values))


def json_fixtures(*patterns: str) -> list:
    found = sorted(path for pattern in patterns for path in FIXTURES.glob(pattern))
    assert found, patterns
    return [json.loads(path.read_text()) for path in found]


@st.composite
def mutated_text(draw, texts: list[str]):
    """One of `texts` with a few lines deleted, duplicated or replaced by arbitrary text."""
    lines = draw(st.sampled_from(texts)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines.append(draw(st.text(max_size=80)))
            continue
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "mangle"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "replace":
            lines[index] = draw(st.text(max_size=80))
        else:
            cut = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:cut] + draw(st.text(max_size=10)) + lines[index][cut:]
    return "\n".join(lines)
