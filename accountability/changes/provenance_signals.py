"""What the signals about a change say (DESIGN §6): commit messages, agent accounts and PR labels read through
the registry of AI coding agents, and the pure decision over them and the line-level documents
(`provenance_compute`). No database: provenance.py gathers what is stored and saves the result.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from accountability.changes.detection import Detection, commit_detect, login_detect
from accountability.changes.models import AIProvenance
from accountability.changes.provenance_documents import (
    Attestation,
    LineAttribution,
    Ranges,
    _unique,
    ranges_count,
    ranges_union,
)
from accountability.changes.registry import Registry, registry_from_file

Level = AIProvenance.Level
Confidence = AIProvenance.Confidence
SignalSource = AIProvenance.SignalSource


@dataclass
class Signal:
    """One heuristic or attested hint: a trailer, a message, an agent account, a label, an API attestation."""

    source: str
    tools: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    detail: str = ""
    strength: int = 9  # detection.py's order: 1 agent author … 5 link; labels 6
    detection: dict | None = None  # the registry rule that fired, with its source


@dataclass
class ProvenanceResult:
    level: str
    confidence: str
    ai_share: Decimal | None
    tools: list[str]
    models: list[str]
    drivers: list[str]
    sources: list[str]
    ai_lines: dict[str, Ranges]
    detections: list[dict] = field(default_factory=list)


# --- commit messages, accounts, labels --------------------------------------------------------------------

PERSON = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s*$")


def signal_of(detection: Detection, *, drivers: list[str]) -> Signal:
    return Signal(
        source=detection.signal,
        tools=[detection.tool] if detection.tool else [],
        models=[detection.model] if detection.model else [],
        drivers=drivers,
        detail=detection.detail,
        strength=detection.strength,
        detection=detection.as_dict(),
    )


def commit_message_signals(
    message: str,
    *,
    author: str = "",
    author_name: str = "",
    author_email: str = "",
    sha: str = "",
    registry: Registry | None = None,
) -> list[Signal]:
    """AI signals of one commit (detection.py), each naming its registry rule; a human author is the driver.

    `author` is the commit's login (or address when it has none).
    """
    registry = registry or registry_from_file()
    login = author if author and "@" not in author else ""
    email = author_email or (author if "@" in author else "")
    verdict = commit_detect(
        message=message, registry=registry, author_name=author_name, author_email=email, author_login=login
    )
    human = author and not any(d.signal == SignalSource.BOT_AUTHOR for d in verdict.detections)
    drivers = [author] if human else []
    signals = []
    for detection in verdict.detections:
        detection.commit = sha
        signals.append(signal_of(detection, drivers=drivers))
    return signals


def agent_account_tool(login: str) -> str | None:
    """The AI agent behind an account such as `copilot-swe-agent[bot]` (its registry name), else None."""
    detection = login_detect(login=login, registry=registry_from_file()) if login else None
    return detection.tool if detection else None


def label_signals(labels: Iterable[str]) -> list[Signal]:
    markers = {label.lower() for label in settings.AI_LABELS}
    return [
        Signal(
            source=SignalSource.LABEL,
            detail=f"label {label}",
            strength=6,
            detection={
                "signal": SignalSource.LABEL,
                "agent": "",
                "tool": "",
                "rule": f"label: {label}",
                "source": "settings.AI_LABELS",
                "detail": f"label {label}",
                "model": "",
                "commit": "",
            },
        )
        for label in labels
        if label.lower() in markers
    ]


# --- the decision -----------------------------------------------------------------------------------------


def level_for_share(share: float) -> str:
    if share <= 0:
        return Level.NONE
    return Level.ASSISTED if share < 0.5 else Level.MAJORITY


def provenance_compute(
    *,
    line_level: list[LineAttribution],
    attestations: list[Attestation],
    signals: list[Signal],
    additions: int,
    agent_only: bool,
) -> ProvenanceResult:
    """Decide a change's provenance from everything found; the strongest signal wins.

    1. Line-level data (git-ai notes, Agent Trace records) gives the exact share: AI-written lines over the
       change's added lines (or, when the diff size is unknown, over the AI and known-human lines).
    2. Otherwise an API attestation: its share, else its level, else "no AI" when it says so.
    3. Otherwise heuristic signals (trailers, messages, agent accounts, labels) say `assisted`.
    4. An agent that authored the PR with no human commit makes it `generated`, whatever the share.
    5. Nothing at all: `unknown`, never `none`.
    Tools, models, drivers and sources of every signal are kept, whichever one decided.
    """
    # The strongest signal comes first, so its tool is named first (DESIGN §6: the strongest wins).
    signals = sorted(signals, key=lambda s: s.strength)
    sources = _unique(
        [*(d.source for d in line_level), *(SignalSource.API_ATTESTATION for _ in attestations)]
        + [s.source for s in signals]
    )
    # Values come from documents written by others: they are cut to the sizes AIProvenance stores.
    tools = _unique(
        [t for d in line_level for t in d.tools]
        + [t for a in attestations for t in a.tools]
        + [t for s in signals for t in s.tools],
        limit=100,
    )
    models = _unique(
        [m for d in line_level for m in d.models]
        + [m for a in attestations for m in a.models]
        + [m for s in signals for m in s.models],
        limit=100,
    )
    drivers = _unique(
        [p for d in line_level for p in d.drivers]
        + [p for a in attestations for p in a.drivers]
        + [p for s in signals for p in s.drivers],
        limit=200,
    )
    ai_lines: dict[str, Ranges] = {}
    share: float | None = None

    if line_level:
        human_lines: dict[str, Ranges] = {}
        for document in line_level:
            for path, ranges in document.ai_lines.items():
                ai_lines[path] = ranges_union(ai_lines.get(path, []), ranges)
            for path, ranges in document.human_lines.items():
                human_lines[path] = ranges_union(human_lines.get(path, []), ranges)
        ai_count = sum(ranges_count(r) for r in ai_lines.values())
        known = ai_count + sum(ranges_count(r) for r in human_lines.values())
        denominator = additions if additions > 0 else known
        share = min(1.0, ai_count / denominator) if denominator else 0.0
        level, confidence = level_for_share(share), Confidence.LINE_LEVEL
    elif attestations:
        # The latest attestation states what the pipeline knows now.
        attestation = attestations[-1]
        ai_lines = attestation.ai_lines
        confidence = Confidence.ATTESTED
        if attestation.ai_share is not None:
            share = attestation.ai_share
            level = level_for_share(share)
        elif attestation.level in Level.values:
            level = attestation.level
        elif attestation.ai_used is False:
            share, level = 0.0, Level.NONE
        elif attestation.ai_used:
            level = Level.ASSISTED
        else:
            level, confidence = Level.UNKNOWN, Confidence.NONE
    elif signals:
        level, confidence = Level.ASSISTED, Confidence.HEURISTIC
    else:
        level, confidence = Level.UNKNOWN, Confidence.NONE

    if agent_only:
        level = Level.GENERATED
        if confidence == Confidence.NONE:
            confidence = Confidence.HEURISTIC

    return ProvenanceResult(
        level=level,
        confidence=confidence,
        ai_share=Decimal(str(round(share, 4))) if share is not None else None,
        tools=tools,
        models=models,
        drivers=drivers,
        sources=sources,
        ai_lines={path: [list(r) for r in ranges] for path, ranges in sorted(ai_lines.items())},
        detections=_unique_detections(s.detection for s in signals if s.detection),
    )


def _unique_detections(detections: Iterable[dict]) -> list[dict]:
    """One row per (rule, commit): a squash repeating a trailer in every line is one finding."""
    seen, kept = set(), []
    for detection in detections:
        key = (detection["rule"], detection["agent"], detection["commit"])
        if key not in seen:
            seen.add(key)
            kept.append(detection)
    return kept[:50]
