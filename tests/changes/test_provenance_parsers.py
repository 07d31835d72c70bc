"""Every AI-attribution and commit sample through the pure parsers (provenance_signals and _documents)."""

import json
from pathlib import Path

import pytest

from accountability.changes.provenance_documents import (
    ProvenanceParseError,
    agent_trace_parse,
    git_ai_note_parse,
    ranges_count,
)
from accountability.changes.provenance_signals import commit_message_signals

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOTES = FIXTURES / "ai-attribution" / "git-ai"
TRACES = FIXTURES / "ai-attribution" / "agent-trace"
COMMITS = FIXTURES / "commits"


def note(name: str):
    return git_ai_note_parse((NOTES / name).read_text())


def test_it_reads_a_legacy_note_with_prompts_and_messages_url():
    parsed = note("000841e6.legacy-prompts.messages_url.note.txt")

    assert parsed.ai_lines == {
        ".github/workflows/release.yml": [(36, 36), (246, 246), (251, 251), (340, 347)]
    }
    assert parsed.human_lines == {}
    assert parsed.tools == ["claude"]
    assert parsed.models == ["claude-opus-4-5-20251101"]
    assert parsed.drivers == ["Sasha Varlamov <sasha@sashavarlamov.com>"]


def test_it_reads_7_character_legacy_keys_and_the_pre_v1_human_key():
    parsed = note("00309900.legacy-prompts.cursor-gpt-5.1.with-human-lines.note.txt")

    assert parsed.ai_lines["docs/reference.mdx"] == [(43, 48), (52, 52), (57, 57)]
    assert ranges_count(parsed.ai_lines["tests/stats.rs"]) == 1 + 18 + 1 + 42 + 1 + 11
    assert parsed.human_lines == {"tests/stats.rs": [(68, 68), (151, 151), (196, 196)]}
    assert (parsed.tools, parsed.models) == (["cursor"], ["gpt-5.1"])


def test_it_reads_a_note_with_only_known_human_lines():
    parsed = note("017e8e28.known-human-only.note.txt")

    assert parsed.ai_lines == {}
    assert parsed.human_lines == {"src/commands/activity.rs": [(39, 39)]}
    assert parsed.tools == []


@pytest.mark.parametrize(
    ("name", "tool", "model", "ai_lines"),
    [
        (
            "131df6d9.sessions-format.claude.note.txt",
            "claude",
            "claude-opus-4-6",
            27 + 84 + 7 + 6 + 5 + 4 + 1,
        ),
        ("53a5b751.sessions-format.cursor.note.txt", "cursor", "claude-opus-4-6", 3 + 3),
    ],
)
def test_it_reads_real_sessions_format_notes(name, tool, model, ai_lines):
    parsed = note(name)

    assert parsed.tools == [tool]
    assert parsed.models == [model]
    assert sum(ranges_count(r) for r in parsed.ai_lines.values()) == ai_lines
    assert parsed.human_lines == {}


def test_it_reads_the_spec_sessions_example_with_a_known_human():
    parsed = note("example-1-2-5-complete-example-sessions-format.note.txt")

    assert parsed.ai_lines == {
        "src/main.rs": [(1, 10), (15, 20), (25, 25), (30, 35)],
        "src/lib.rs": [(1, 50)],
    }
    assert parsed.human_lines == {"src/main.rs": [(42, 50)]}
    assert parsed.tools == ["cursor", "claude"]
    assert parsed.drivers == ["dev@example.com"]


def test_it_reads_the_spec_legacy_example():
    parsed = note("example-1-2-6-complete-example-legacy-format.note.txt")

    assert parsed.ai_lines == {
        "src/main.rs": [(1, 10), (15, 20), (25, 25), (30, 35)],
        "src/lib.rs": [(1, 50)],
    }
    assert parsed.models == ["claude-4.5-opus", "claude-3-sonnet"]
    assert parsed.drivers == ["Developer <dev@example.com>"]


def test_it_reads_the_spec_mixed_example():
    parsed = note("example-1-2-7-complete-example-mixed-format.note.txt")

    assert parsed.ai_lines == {"src/main.rs": [(1, 10)], "src/lib.rs": [(1, 50)]}
    assert parsed.human_lines == {"src/main.rs": [(15, 20)]}
    assert parsed.tools == ["claude", "cursor"]
    assert parsed.models == ["claude-sonnet-4-5-20250514", "gpt-4"]


@pytest.mark.parametrize(
    "text", ["", "no divider here", "a.py\n  abc 1-2\n---\nnot json", "a.py\n  k 5-2\n---\n{}"]
)
def test_it_refuses_what_is_not_a_note(text):
    with pytest.raises(ProvenanceParseError):
        git_ai_note_parse(text)


def trace(name: str):
    return agent_trace_parse(json.loads((TRACES / name).read_text()))


def test_it_reads_the_agent_trace_example_record():
    parsed = trace("agent-trace-02-6-2-example-trace-record.json")

    assert parsed.ai_lines == {"src/utils/parser.ts": [(42, 67)], "src/utils/helpers.ts": [(10, 25)]}
    assert parsed.tools == ["cursor"]
    assert parsed.models == ["anthropic/claude-opus-4-5-20251101", "openai/gpt-4o"]


@pytest.mark.parametrize(
    ("name", "ai_lines"),
    [
        (
            "agent-trace-03-6-3-attribution-ranges.json",
            {"src/utils.ts": [(10, 25), (30, 45), (50, 52), (80, 95)]},
        ),
        ("agent-trace-05-6-6-content-hashes.json", {"src/parser.ts": [(10, 25)]}),
        ("agent-trace-07-6-8-linked-resources.json", {"src/api.ts": [(10, 50)]}),
        ("agent-trace-09-a-minimal-valid-trace-record.json", {"src/app.ts": [(1, 50)]}),
    ],
)
def test_it_reads_agent_trace_ranges(name, ai_lines):
    assert trace(name).ai_lines == ai_lines


@pytest.mark.parametrize(
    "name",
    [
        "agent-trace-01-6-1-trace-record-schema.json",
        "agent-trace-06-6-7-model-identifier.json",
        "agent-trace-08-7-2-metadata.json",
    ],
)
def test_it_refuses_agent_trace_fragments_that_are_not_records(name):
    with pytest.raises(ProvenanceParseError):
        trace(name)


def test_it_refuses_the_jsonc_vcs_snippets_as_json():
    text = (TRACES / "agent-trace-04-6-4-version-control-systems.verbatim.jsonc").read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_it_lets_a_range_contributor_override_its_conversation():
    record = {
        "files": [
            {
                "path": "a.py",
                "conversations": [
                    {
                        "contributor": {"type": "ai", "model_id": "openai/gpt-4o"},
                        "ranges": [
                            {"start_line": 1, "end_line": 5},
                            {"start_line": 6, "end_line": 9, "contributor": {"type": "human"}},
                            {"start_line": 10, "end_line": 12, "contributor": {"type": "unknown"}},
                        ],
                    }
                ],
            }
        ]
    }

    parsed = agent_trace_parse(record)

    assert parsed.ai_lines == {"a.py": [(1, 5)]}
    assert parsed.human_lines == {"a.py": [(6, 9)]}


def message_signals(name: str):
    return commit_message_signals((COMMITS / name).read_text(), author="alice")


@pytest.mark.parametrize(
    ("name", "tools", "models"),
    [
        ("01-git-ai-d421e8b3-generated-with-claude-code.txt", ["Claude Code"], []),
        ("02-git-ai-131df6d9-coauthored-claude-opus.txt", ["Claude Code"], ["Claude Opus 4.6"]),
        ("03-git-ai-dbd6faa6-coauthored-copilot.txt", ["GitHub Copilot"], []),
        ("04-git-ai-90553fa7-coauthored-codex.txt", ["OpenAI Codex"], []),
        ("05-git-ai-53a5b751-coauthored-cursor.txt", ["Cursor"], []),
        ("06-git-ai-b8bbdb69-generated-with-firebender.txt", ["Firebender"], []),
        ("07-git-ai-87eae462-coauthored-devin.txt", ["Devin"], []),
        ("08-saleor-2621df26-coauthored-claude-opus5.txt", ["Claude Code"], ["Claude Opus 5"]),
        (
            "09-saleor-1518a613-squash-mixed-claude-and-human-coauthors.txt",
            ["Claude Code"],
            ["Claude Opus 4.8"],
        ),
        ("10-cursor-agent-trace-a7a009c6-coauthored-cursor.txt", ["Cursor"], []),
        ("11-linux-stable-48a42821-assisted-by-claude.txt", ["Claude Code"], ["claude-sonnet-4-5"]),
    ],
)
def test_it_finds_the_ai_tool_in_every_attributed_commit_sample(name, tools, models):
    signals = message_signals(name)

    assert signals
    assert sorted({t for s in signals for t in s.tools}) == tools
    assert sorted({m for s in signals for m in s.models}) == models
    assert {d for s in signals for d in s.drivers} == {"alice"}


def test_it_finds_no_ai_in_a_dependabot_only_commit():
    assert message_signals("12-NEGATIVE-saleor-8f7b1530-coauthored-dependabot-only.txt") == []


def test_it_does_not_take_a_human_named_claude_for_an_ai():
    assert commit_message_signals("Fix\n\nCo-authored-by: Claude Monet <claude@monet.example>") == []


@pytest.mark.parametrize(
    ("trailer", "tools", "models"),
    [
        ("Generated-by: Aider 0.80", ["Aider"], []),
        ("AI-assisted: true", [], []),
        # The kernel's [TOOL] list names non-AI tools (coccinelle, sparse): they are not AI agents.
        ("Assisted-by: Copilot:gpt-4.1 [coccinelle sparse]", ["GitHub Copilot"], ["gpt-4.1"]),
        # The model is never taken for the tool.
        ("Assisted-by: GLM-5.1 via Crush <crush@charm.land>", ["Crush"], ["GLM-5.1"]),
        ("Assisted-by: Kimi K2.5 via Crush", ["Crush"], ["Kimi K2.5"]),
        ("Assisted-by: SomeNewAgent:model-x", ["SomeNewAgent"], ["model-x"]),
    ],
)
def test_it_reads_declaration_trailers(trailer, tools, models):
    (signal,) = commit_message_signals(f"Subject\n\nBody.\n\n{trailer}\n")

    assert (signal.tools, signal.models) == (tools, models)


def test_it_ignores_ai_assisted_false():
    assert commit_message_signals("Subject\n\nAI-assisted: false\n") == []
