"""CODEOWNERS matching takes time linear in the path whatever the pattern (issue 14), and answers as the
regular expressions it replaced did on ordinary patterns."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountability.api.tokens import token_create
from accountability.catalog.importers.codeowners import pattern_items, pattern_matches
from tests.factories import PathOwnerFactory, user_with_role

HOSTILE = "**/**/**/**/**/**/**/**/zz"


def regex_before(pattern: str) -> re.Pattern:
    """The matcher as it was before issue 14 (backtracking on repeated `**`), kept as the oracle."""
    anchored = "/" in pattern.rstrip("/")
    directory_only = pattern.endswith("/")
    segments = pattern.strip("/").split("/")
    parts = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        translated = "".join(
            "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char) for char in segment
        )
        parts.append(translated if last else translated + "/")
    prefix = "" if anchored else "(?:[^/]+/)*"
    if directory_only:
        suffix = "/.+"
    elif (segments[-1] == "*" and anchored) or segments[-1] == "**":
        suffix = ""
    else:
        suffix = "(?:/.+)?"
    return re.compile(f"^{prefix}{''.join(parts)}{suffix}$")


segment = st.sampled_from(["a", "b", "ab", "*", "**", "?", "a*", "*b", "*.py", "docs", "x.py", "a?b"])
patterns = st.builds(
    lambda lead, segments, trail: lead + "/".join(segments) + trail,
    st.sampled_from(["", "/"]),
    st.lists(segment, min_size=1, max_size=6),
    st.sampled_from(["", "/"]),
).filter(lambda p: p != "/")
path_segment = st.sampled_from(["a", "b", "ab", "abb", "docs", "x.py", "a.py", "zz", ""])
paths = st.builds("/".join, st.lists(path_segment, min_size=1, max_size=8))


@settings(max_examples=2000, deadline=None)
@given(pattern=patterns, path=paths)
def test_it_answers_as_the_regular_expression_did(pattern, path):
    assert pattern_matches(pattern, path) == bool(regex_before(pattern).match(path))


def test_consecutive_double_stars_are_one_item():
    assert pattern_items(HOSTILE) == (("segs",), ("lit", "z"), ("lit", "z"), ("optrest",))


@pytest.mark.parametrize(("path", "expected"), [("a/" * 37 + "b", False), ("a/" * 37 + "zz", True)])
def test_a_hostile_pattern_answers_on_a_deep_path(path, expected):
    # 38 segments: the regex it replaced took about 11 s on the first; this reads each character once per
    # state, at most 4 states here.
    assert pattern_matches(HOSTILE, path) is expected


@pytest.fixture
def hostile_rules(db):
    PathOwnerFactory(repository="acme/payments", line=1, pattern="*", owners=["@acme/platform"])
    PathOwnerFactory(repository="acme/payments", line=2, pattern=HOSTILE, owners=["@acme/zz"])


@pytest.mark.django_db
def test_the_search_answers_a_deep_path_under_a_hostile_rule(client, hostile_rules):
    client.force_login(user_with_role("commander"))

    response = client.get("/search/", {"q": "acme/payments:" + "a/" * 90})

    assert response.status_code == 200
    assert "@acme/platform" in response.content.decode()


@pytest.mark.django_db
def test_the_owners_api_answers_a_deep_path_under_a_hostile_rule(client, hostile_rules):
    _, raw = token_create(name="reader", scopes=["read"])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    response = client.get("/api/v1/owners", {"repository": "acme/payments", "path": "a/" * 90 + "x"})

    assert response.status_code == 200
    assert response.json()["owners"] == ["@acme/platform"]
