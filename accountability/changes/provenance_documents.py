"""Line-level and attested provenance documents (DESIGN §6, signals 1 and 2): pure parsers.

- git-ai authorship notes (`refs/notes/ai`, standard v3.0.0): legacy prompt keys, `s_…::t_…` session keys and
  `h_…` known-human keys, alone or mixed in one note;
- Agent Trace 0.1.0 records (`application/vnd.agent-trace.record+json`);
- attestations stored by the CI API.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from accountability.changes.models import AIProvenance

Level = AIProvenance.Level
SignalSource = AIProvenance.SignalSource

Ranges = list[tuple[int, int]]


class ProvenanceParseError(ValueError):
    """A provenance document that cannot be understood."""


@dataclass
class LineAttribution:
    """Line-level data of one document (one note or one trace record): AI and known-human lines per file."""

    source: str
    ai_lines: dict[str, Ranges] = field(default_factory=dict)
    human_lines: dict[str, Ranges] = field(default_factory=dict)
    tools: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)


@dataclass
class Attestation:
    """What a pipeline stated through the CI API; any field may be absent."""

    ai_used: bool | None = None
    level: str | None = None
    ai_share: float | None = None
    tools: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    ai_lines: dict[str, Ranges] = field(default_factory=dict)


# --- line ranges -------------------------------------------------------------------------------------------


def ranges_parse(spec: str) -> Ranges:
    """`"1-4,9,12-14"` → `[(1, 4), (9, 9), (12, 14)]`."""
    ranges = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        start, _, end = part.partition("-")
        try:
            first, last = int(start), int(end or start)
        except ValueError:
            raise ProvenanceParseError(f"bad line range {part!r}") from None
        if first < 1 or last < first:
            raise ProvenanceParseError(f"bad line range {part!r}")
        ranges.append((first, last))
    return ranges


def ranges_union(*many: Iterable[tuple[int, int]]) -> Ranges:
    """Merge overlapping or adjacent ranges into a sorted, disjoint list."""
    merged: Ranges = []
    for start, end in sorted(r for ranges in many for r in ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def ranges_count(ranges: Iterable[tuple[int, int]]) -> int:
    return sum(end - start + 1 for start, end in ranges)


def _unique(values: Iterable[str], *, limit: int | None = None) -> list[str]:
    """Distinct non-empty values in first-seen order, each cut to `limit` characters (the column's size)."""
    return list(dict.fromkeys(v[:limit].strip() for v in values if v and v[:limit].strip()))


# --- git-ai authorship notes ------------------------------------------------------------------------------


def git_ai_note_parse(text: str) -> LineAttribution:
    """Parse a git-ai authorship note (standard v3: legacy, sessions and mixed formats).

    1. Split at the `---` line into the attestation section and the JSON metadata.
    2. Read the attestation section: a file path at column 0, then `  <key> <ranges>` entries.
    3. Route each key by prefix: `s_…::t_…` → `metadata.sessions`, `h_…` (or the pre-v1 literal `human`)
       → a known human, anything else → a legacy entry of `metadata.prompts`.
    4. AI lines are every range of an AI key; tools, models and the driving human come from the metadata.
    """
    attestation, divider, metadata_text = text.partition("\n---\n")
    if not divider:
        if text.startswith("---\n"):
            attestation, metadata_text = "", text[4:]
        else:
            raise ProvenanceParseError("not a git-ai note: no '---' divider")
    try:
        metadata = json.loads(metadata_text)
    except json.JSONDecodeError as error:
        raise ProvenanceParseError(f"git-ai note metadata is not JSON: {error.msg}") from None
    if not isinstance(metadata, dict):
        raise ProvenanceParseError("git-ai note metadata is not an object")
    prompts = metadata.get("prompts") or {}
    sessions = metadata.get("sessions") or {}
    if not isinstance(prompts, dict) or not isinstance(sessions, dict):
        raise ProvenanceParseError("git-ai note metadata: prompts and sessions must be objects")

    result = LineAttribution(source=SignalSource.GIT_AI_NOTE)
    used_agents: dict[str, dict] = {}
    path = None
    for line in attestation.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            path = line.strip()
            if len(path) >= 2 and path.startswith('"') and path.endswith('"'):
                path = path[1:-1]
            continue
        if path is None:
            raise ProvenanceParseError("git-ai note: an attestation entry before any file path")
        key, _, spec = line.strip().partition(" ")
        ranges = ranges_parse(spec)
        if key == "human" or key.startswith("h_"):
            result.human_lines[path] = ranges_union(result.human_lines.get(path, []), ranges)
            continue
        agent = sessions.get(key.split("::", 1)[0]) if key.startswith("s_") else prompts.get(key)
        result.ai_lines[path] = ranges_union(result.ai_lines.get(path, []), ranges)
        if isinstance(agent, dict):
            used_agents[key.split("::", 1)[0]] = agent

    # Metadata of agents that wrote no surviving line (e.g. a prompt whose lines were all overridden)
    # still names a tool that was used; attested agents come first.
    for agent in [*used_agents.values(), *prompts.values(), *sessions.values()]:
        if not isinstance(agent, dict):
            continue
        agent_id = agent.get("agent_id") or {}
        if isinstance(agent_id, dict):
            result.tools.append(str(agent_id.get("tool") or ""))
            result.models.append(str(agent_id.get("model") or ""))
        result.drivers.append(str(agent.get("human_author") or ""))
    result.tools = _unique(result.tools)
    result.models = _unique(result.models)
    result.drivers = _unique(result.drivers)
    return result


# --- Agent Trace records ----------------------------------------------------------------------------------


def agent_trace_parse(record: Mapping) -> LineAttribution:
    """Parse an Agent Trace 0.1.0 record.

    A range's contributor overrides its conversation's. `ai` and `mixed` (human-edited AI output) count as
    AI-written lines, `human` as known-human lines; `unknown` counts as neither.
    """
    if not isinstance(record, Mapping) or not isinstance(record.get("files"), list):
        raise ProvenanceParseError("not an Agent Trace record: no 'files' list")
    result = LineAttribution(source=SignalSource.AGENT_TRACE)
    tool = record.get("tool")
    if isinstance(tool, Mapping) and tool.get("name"):
        result.tools.append(str(tool["name"]))
    for file in record["files"]:
        if not isinstance(file, Mapping) or not isinstance(file.get("path"), str):
            raise ProvenanceParseError("Agent Trace file without a path")
        conversations = file.get("conversations") or []
        if not isinstance(conversations, list):
            raise ProvenanceParseError(f"Agent Trace file {file['path']}: conversations is not a list")
        for conversation in conversations:
            if not isinstance(conversation, Mapping):
                continue
            default = conversation.get("contributor") or {}
            ranges = conversation.get("ranges") or []
            if not isinstance(ranges, list):
                raise ProvenanceParseError(f"Agent Trace file {file['path']}: ranges is not a list")
            for line_range in ranges:
                try:
                    start, end = int(line_range["start_line"]), int(line_range["end_line"])
                except (KeyError, TypeError, ValueError, OverflowError):  # Overflow: JSON's Infinity
                    raise ProvenanceParseError("Agent Trace range without start_line/end_line") from None
                if start < 1 or end < start:
                    raise ProvenanceParseError(f"Agent Trace range {start}-{end} is not a line range")
                contributor = line_range.get("contributor") or default
                kind = contributor.get("type") if isinstance(contributor, Mapping) else None
                if kind in ("ai", "mixed"):
                    target = result.ai_lines
                    if contributor.get("model_id"):
                        result.models.append(str(contributor["model_id"]))
                elif kind == "human":
                    target = result.human_lines
                else:
                    continue
                target[file["path"]] = ranges_union(target.get(file["path"], []), [(start, end)])
    result.models = _unique(result.models)
    return result


def _strings(data: Mapping, field: str) -> list[str]:
    value = data.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProvenanceParseError(f"attestation {field} must be a list of strings")
    return _unique(value)


def attestation_parse(data: Mapping) -> Attestation:
    """Read an attestation stored by the CI API (validated when it arrived; checked again, as stored data)."""
    if not isinstance(data, Mapping):
        raise ProvenanceParseError("attestation is not an object")
    share, level, ai_used = data.get("ai_share"), data.get("level"), data.get("ai_used")
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1
    ):
        raise ProvenanceParseError("attestation ai_share must be a number from 0 to 1")
    if level is not None and level not in Level.values:
        raise ProvenanceParseError(f"attestation level must be one of {', '.join(Level.values)}")
    if ai_used is not None and not isinstance(ai_used, bool):
        raise ProvenanceParseError("attestation ai_used must be true or false")
    lines = data.get("ai_lines") or {}
    try:
        ai_lines = {
            str(path): ranges_union([(int(start), int(end)) for start, end in ranges])
            for path, ranges in lines.items()
        }
    except (AttributeError, TypeError, ValueError, OverflowError):  # Overflow: JSON's Infinity
        raise ProvenanceParseError('attestation ai_lines must be {"path": [[start, end], ...]}') from None
    return Attestation(
        ai_used=ai_used,
        level=level,
        ai_share=float(share) if share is not None else None,
        tools=_strings(data, "tools"),
        models=_strings(data, "models"),
        drivers=_strings(data, "drivers"),
        ai_lines=ai_lines,
    )
