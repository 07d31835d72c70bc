"""Provenance documents come from outside: whatever they hold, the parsers either read them or refuse them
with ProvenanceParseError, never another exception (which would fail the delivery carrying them)."""

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from accountability.changes.provenance import (
    ProvenanceParseError,
    agent_trace_parse,
    attestation_parse,
    commit_message_signals,
    git_ai_note_parse,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=15,
)
keys = st.sampled_from(
    [
        "prompts",
        "sessions",
        "humans",
        "agent_id",
        "tool",
        "model",
        "human_author",
        "files",
        "conversations",
        "ranges",
        "start_line",
        "end_line",
        "contributor",
        "type",
        "path",
        "ai_share",
        "tools",
        "ai_lines",
        "level",
        "ai_used",
    ]
)
shaped = st.recursive(
    json_values,
    lambda children: st.dictionaries(keys, children, max_size=5) | st.lists(children, max_size=3),
    max_leaves=20,
)
attestation_lines = st.lists(
    st.tuples(
        st.sampled_from(["a.py", '"b c.py"', "", "  x"]),
        st.sampled_from(["abcd1234abcd1234", "s_abc::t_def", "h_123", "human", "zz"]),
        st.sampled_from(["1-4", "5", "1,2,3-9", "9-2", "x", "", "0"]),
    ),
    max_size=4,
)


def refuses_or_reads(parse, value):
    # Any other exception escapes and fails the test.
    with contextlib.suppress(ProvenanceParseError):
        parse(value)


@settings(max_examples=300)
@given(text=st.text(max_size=200))
def test_git_ai_note_parse_never_crashes_on_text(text):
    refuses_or_reads(git_ai_note_parse, text)


@settings(max_examples=300)
@given(lines=attestation_lines, metadata=shaped)
def test_git_ai_note_parse_never_crashes_on_note_shaped_input(lines, metadata):
    attestation = "\n".join(f"{path}\n  {key} {ranges}" for path, key, ranges in lines)
    refuses_or_reads(git_ai_note_parse, f"{attestation}\n---\n{json.dumps(metadata)}")


@settings(max_examples=300)
@given(record=shaped)
def test_agent_trace_parse_never_crashes(record):
    refuses_or_reads(agent_trace_parse, record)
    refuses_or_reads(agent_trace_parse, {"files": [record]})
    refuses_or_reads(agent_trace_parse, {"files": [{"path": "a", "conversations": [record]}]})


@settings(max_examples=300)
@given(data=shaped)
def test_attestation_parse_never_crashes(data):
    refuses_or_reads(attestation_parse, data)


@settings(max_examples=300)
@given(message=st.text(max_size=300))
def test_commit_message_signals_never_crash(message):
    commit_message_signals(message, author="alice")
    commit_message_signals(f"x\n\nCo-authored-by: {message}\nAssisted-by: {message}\n")
