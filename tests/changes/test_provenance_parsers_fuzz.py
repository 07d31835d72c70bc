"""Provenance parsers (git-ai notes, Agent Trace records, CI attestations, line ranges, commit trailers)
raise only ProvenanceParseError, or nothing at all for commit messages, whatever they are given."""

import contextlib
import json

from hypothesis import example, given
from hypothesis import strategies as st

from accountability.changes.provenance_documents import (
    ProvenanceParseError,
    agent_trace_parse,
    attestation_parse,
    git_ai_note_parse,
    ranges_parse,
)
from accountability.changes.provenance_signals import commit_message_signals
from tests.strategies import FIXTURES, FUZZ, json_fixtures, json_values, mutated, mutated_text

INF = float("inf")
NOTES = [path.read_text() for path in sorted((FIXTURES / "ai-attribution/git-ai").glob("*.note.txt"))]
TRACES = json_fixtures("ai-attribution/agent-trace/*.json")
COMMITS = [path.read_text() for path in sorted((FIXTURES / "commits").glob("*.txt"))]
ATTESTATIONS = [
    {
        "ai_used": True,
        "level": "ai_assisted",
        "ai_share": 0.4,
        "tools": ["Claude"],
        "ai_lines": {"a.py": [[1, 9]]},
    }
]


@FUZZ
@given(note=st.text(max_size=400) | mutated_text(NOTES))
def test_it_parses_any_git_ai_note_or_raises_its_error(note):
    with contextlib.suppress(ProvenanceParseError):
        git_ai_note_parse(note)


@FUZZ
@given(record=json_values | mutated(TRACES))
# Found by this test: JSON allows Infinity; int(inf) raised OverflowError, a 500 at POST /api/v1/provenance.
@example({"files": [{"path": "a.py", "conversations": [{"ranges": [{"start_line": INF, "end_line": 2}]}]}]})
def test_it_parses_any_agent_trace_record_or_raises_its_error(record):
    with contextlib.suppress(ProvenanceParseError):
        agent_trace_parse(record)


@FUZZ
@given(data=json_values | mutated(ATTESTATIONS))
@example({"ai_lines": {"a.py": [[1, INF]]}})  # found by this test: int(inf) raised OverflowError
def test_it_parses_any_attestation_or_raises_its_error(data):
    with contextlib.suppress(ProvenanceParseError):
        attestation_parse(data)


@FUZZ
@given(spec=st.text(max_size=40) | st.from_regex(r"[0-9,\- ]{0,30}", fullmatch=True))
def test_it_parses_any_line_ranges_or_raises_its_error(spec):
    with contextlib.suppress(ProvenanceParseError):
        ranges_parse(spec)


@FUZZ
@given(message=st.text(max_size=400) | mutated_text(COMMITS), author=st.text(max_size=40))
def test_it_reads_signals_from_any_commit_message(message, author):
    signals = commit_message_signals(message, author=author)
    assert isinstance(signals, list)
    json.dumps([signal.tools for signal in signals])
