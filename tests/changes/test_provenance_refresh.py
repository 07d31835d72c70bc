"""provenance_refresh: one given/when/then per rule of DESIGN §6."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from accountability.changes.models import AIProvenance, ProvenanceRecord
from accountability.changes.provenance import provenance_refresh
from tests.factories import ChangeFactory, CommitFactory, PersonFactory, ProvenanceRecordFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
Level = AIProvenance.Level


def git_ai_note(change, name, sha=None):
    return ProvenanceRecordFactory(
        kind=ProvenanceRecord.Kind.GIT_AI_NOTE,
        repository=change.repository,
        commit_sha=sha or change.sha,
        content=(FIXTURES / "ai-attribution" / "git-ai" / name).read_text(),
    )


def test_it_says_unknown_never_none_when_nothing_is_known():
    change = ChangeFactory(labels=[])
    CommitFactory(change=change, message="Fix the login redirect")

    provenance = provenance_refresh(change=change)

    assert provenance.level == Level.UNKNOWN
    assert provenance.ai_share is None
    assert provenance.confidence == AIProvenance.Confidence.NONE
    assert provenance.sources == []


def test_it_says_unknown_for_a_dependabot_only_commit():
    change = ChangeFactory(author_logins=["dependabot[bot]"])
    message = (
        FIXTURES / "commits" / "12-NEGATIVE-saleor-8f7b1530-coauthored-dependabot-only.txt"
    ).read_text()
    CommitFactory(change=change, message=message, author_login="dependabot[bot]")

    assert provenance_refresh(change=change).level == Level.UNKNOWN


def test_it_says_assisted_with_heuristic_confidence_for_a_co_authored_by_trailer():
    driver = PersonFactory(github_login="alice")
    change = ChangeFactory()
    message = (FIXTURES / "commits" / "02-git-ai-131df6d9-coauthored-claude-opus.txt").read_text()
    CommitFactory(change=change, message=message, author_login="alice")

    provenance = provenance_refresh(change=change)

    assert provenance.level == Level.ASSISTED
    assert provenance.confidence == AIProvenance.Confidence.HEURISTIC
    assert provenance.ai_share is None
    assert provenance.tools == ["Claude Code"]
    assert provenance.ai_models == ["Claude Opus 4.6"]
    assert provenance.sources == [AIProvenance.SignalSource.TRAILER]
    assert list(provenance.drivers.all()) == [driver]


def test_it_says_assisted_for_an_ai_label():
    change = ChangeFactory(labels=["bug", "AI-Assisted"])

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.sources) == (Level.ASSISTED, [AIProvenance.SignalSource.LABEL])


def test_it_computes_the_share_from_a_git_ai_note_over_the_added_lines():
    # 000841e6 attributes 1 + 1 + 1 + 8 = 11 lines to Claude.
    change = ChangeFactory(additions=44)
    git_ai_note(change, "000841e6.legacy-prompts.messages_url.note.txt")

    provenance = provenance_refresh(change=change)

    assert provenance.level == Level.ASSISTED
    assert provenance.ai_share == Decimal("0.2500")
    assert provenance.confidence == AIProvenance.Confidence.LINE_LEVEL
    assert provenance.ai_lines == {
        ".github/workflows/release.yml": [[36, 36], [246, 246], [251, 251], [340, 347]]
    }
    assert provenance.tools == ["claude"]
    assert provenance.driver_logins == ["Sasha Varlamov <sasha@sashavarlamov.com>"]


def test_it_says_majority_at_half_the_added_lines():
    change = ChangeFactory(additions=22)
    git_ai_note(change, "000841e6.legacy-prompts.messages_url.note.txt")

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.ai_share) == (Level.MAJORITY, Decimal("0.5000"))


def test_it_says_none_when_line_level_data_shows_no_ai_line():
    change = ChangeFactory(additions=1)
    git_ai_note(change, "017e8e28.known-human-only.note.txt")

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.ai_share) == (Level.NONE, Decimal("0.0000"))
    assert provenance.confidence == AIProvenance.Confidence.LINE_LEVEL


def test_it_lets_line_level_data_win_over_trailers_and_keeps_both_sources():
    change = ChangeFactory(additions=1000)
    commit = CommitFactory(change=change, message="Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>")
    git_ai_note(change, "53a5b751.sessions-format.cursor.note.txt", sha=commit.sha)

    provenance = provenance_refresh(change=change)

    assert provenance.level == Level.ASSISTED
    assert provenance.ai_share == Decimal("0.0060")
    assert provenance.confidence == AIProvenance.Confidence.LINE_LEVEL
    assert provenance.sources == [AIProvenance.SignalSource.GIT_AI_NOTE, AIProvenance.SignalSource.TRAILER]
    assert provenance.tools == ["cursor", "Cursor"]


def test_it_uses_known_lines_as_the_denominator_when_the_diff_size_is_unknown():
    # 00309900: 82 AI lines (8 + 74) and 3 known-human lines: 82 / 85.
    change = ChangeFactory(additions=0)
    git_ai_note(change, "00309900.legacy-prompts.cursor-gpt-5.1.with-human-lines.note.txt")

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.ai_share) == (Level.MAJORITY, Decimal("0.9647"))


def test_it_reads_an_agent_trace_record_for_a_commit_of_the_change():
    change = ChangeFactory(additions=100)
    commit = CommitFactory(change=change)
    ProvenanceRecordFactory(
        kind=ProvenanceRecord.Kind.AGENT_TRACE,
        commit_sha=commit.sha,
        content=(
            FIXTURES / "ai-attribution" / "agent-trace" / "agent-trace-02-6-2-example-trace-record.json"
        ).read_text(),
    )

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.ai_share) == (Level.ASSISTED, Decimal("0.4200"))
    assert provenance.ai_models == ["anthropic/claude-opus-4-5-20251101", "openai/gpt-4o"]
    assert provenance.sources == [AIProvenance.SignalSource.AGENT_TRACE]


def test_it_lets_the_latest_commit_decide_the_lines_of_a_file():
    change = ChangeFactory(additions=100, commit_shas=["a" * 40, "b" * 40])
    for sha, end in (("a" * 40, 80), ("b" * 40, 10)):
        ProvenanceRecordFactory(
            kind=ProvenanceRecord.Kind.AGENT_TRACE,
            commit_sha=sha,
            external_id=sha,
            content=json.dumps(
                {
                    "files": [
                        {
                            "path": "a.py",
                            "conversations": [
                                {
                                    "contributor": {"type": "ai"},
                                    "ranges": [{"start_line": 1, "end_line": end}],
                                }
                            ],
                        }
                    ]
                }
            ),
        )

    provenance = provenance_refresh(change=change)

    assert provenance.ai_lines == {"a.py": [[1, 10]]}
    assert provenance.ai_share == Decimal("0.1000")


def test_it_takes_an_api_attestation_over_heuristics():
    change = ChangeFactory(labels=["ai-assisted"])
    ProvenanceRecordFactory(
        kind=ProvenanceRecord.Kind.API_ATTESTATION,
        change=change,
        commit_sha="",
        content=json.dumps({"ai_share": 0.7, "tools": ["Claude Code"], "models": ["claude-opus-4-6"]}),
    )

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.ai_share) == (Level.MAJORITY, Decimal("0.7000"))
    assert provenance.confidence == AIProvenance.Confidence.ATTESTED
    assert provenance.sources == [AIProvenance.SignalSource.API_ATTESTATION, AIProvenance.SignalSource.LABEL]


def test_it_believes_an_attestation_that_no_ai_was_used():
    change = ChangeFactory()
    ProvenanceRecordFactory(
        kind=ProvenanceRecord.Kind.API_ATTESTATION, change=change, commit_sha="", content='{"ai_used": false}'
    )

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.confidence) == (Level.NONE, AIProvenance.Confidence.ATTESTED)


def test_it_says_generated_when_an_agent_authored_the_pr_with_no_human_commit():
    change = ChangeFactory(author_logins=["copilot-swe-agent[bot]"])
    CommitFactory(change=change, author_login="Copilot", message="Initial plan")
    CommitFactory(change=change, author_login="Copilot", message="Add retry to the client")

    provenance = provenance_refresh(change=change)

    assert provenance.level == Level.GENERATED
    assert provenance.tools == ["GitHub Copilot coding agent"]
    assert provenance.sources == [AIProvenance.SignalSource.BOT_AUTHOR]


def test_it_says_assisted_when_a_human_pushed_to_an_agent_pr():
    change = ChangeFactory(author_logins=["copilot-swe-agent[bot]"])
    CommitFactory(change=change, author_login="Copilot")
    CommitFactory(change=change, author_login="alice")

    assert provenance_refresh(change=change).level == Level.ASSISTED


def test_it_skips_a_record_it_cannot_parse():
    change = ChangeFactory()
    ProvenanceRecordFactory(kind=ProvenanceRecord.Kind.GIT_AI_NOTE, commit_sha=change.sha, content="garbage")
    CommitFactory(change=change, message="Fix\n\nCo-authored-by: Codex <noreply@openai.com>")

    provenance = provenance_refresh(change=change)

    assert (provenance.level, provenance.sources) == (Level.ASSISTED, [AIProvenance.SignalSource.TRAILER])


def test_it_is_idempotent():
    change = ChangeFactory(additions=44)
    git_ai_note(change, "000841e6.legacy-prompts.messages_url.note.txt")

    first = provenance_refresh(change=change)
    second = provenance_refresh(change=change)

    assert first.pk == second.pk
    assert AIProvenance.objects.filter(change=change).count() == 1
    second.refresh_from_db()
    assert (second.level, second.ai_share) == (Level.ASSISTED, Decimal("0.2500"))


def test_it_ignores_records_of_another_repository():
    change = ChangeFactory(repository="acme/a", additions=10)
    ProvenanceRecordFactory(
        kind=ProvenanceRecord.Kind.GIT_AI_NOTE,
        repository="acme/b",
        commit_sha=change.sha,
        content=(
            FIXTURES / "ai-attribution" / "git-ai" / "000841e6.legacy-prompts.messages_url.note.txt"
        ).read_text(),
    )

    assert provenance_refresh(change=change).level == Level.UNKNOWN


def test_it_cuts_overlong_names_from_documents_to_what_it_stores():
    change = ChangeFactory()
    CommitFactory(
        change=change, message=f"Fix\n\nGenerated-by: {'x' * 300}\nAssisted-by: {'y' * 300}:{'z' * 300}\n"
    )

    provenance = provenance_refresh(change=change)

    # Generated-by names code generators too: only a registry agent counts, so the x's are no tool.
    assert provenance.tools == ["y" * 100]
    assert provenance.ai_models == ["z" * 100]
