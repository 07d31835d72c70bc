"""Heuristic AI signals of one commit, each naming the registry entry and rule that fired (DESIGN §6).

Strength, strongest first (the lower number wins when tools disagree):
1. the author is an agent (address, login, a product-only name, a tool's name suffix);
2. a `Co-authored-by:` naming an agent's address or login;
3. a declared trailer: `Assisted-by:`, `Generated-by:`, `AI-assisted: true`, a tool's own trailer;
4. a footer the tool writes ("🤖 Generated with [Claude Code](…)", "Generated with [TOOL](…)"), or a
   subject prefix it writes ("aider: …");
5. a session, task or thread link the tool writes.

What never counts: a person's name alone (a human named Claude), a product named in the subject ("bump the
anthropic SDK"), footers of non-AI automation ("Generated with [Release Please]"), and, in a revert, the
reverted commit's subject and footers — the revert is its author's.
"""

import re
from dataclasses import dataclass, field

from accountability.changes.registry import Registry, Rule

BOT_AUTHOR, TRAILER, MESSAGE = "bot_author", "trailer", "message"

TRAILER_LINE = re.compile(
    r"^(?P<key>[A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(?P<value>\S.*?)[ \t]*$", re.MULTILINE
)
PERSON = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s*$")
# "MODEL via TOOL <addr>", the form Crush writes.
VIA = re.compile(r"^(?P<model>.+?)\s+via\s+(?P<tool>[^<]+?)\s*(?:<(?P<email>[^<>]*)>)?\s*$", re.IGNORECASE)
# "AGENT:MODEL [TOOL] …", the Linux kernel's form (Documentation/process/coding-assistants.rst).
AGENT_MODEL = re.compile(
    r"^(?P<agent>[^:\s\[<]+(?:\s[^:\s\[<]+)*?)(?::(?P<model>[^\s\[<]+))?\s*(?P<rest>.*)$"
)
# "Generated with [TOOL](url)": one line, a link, and the TOOL must be a known agent's alias.
GENERATED_WITH = re.compile(
    r"Generated (?:with|by|using) \[(?P<tool>[^\]\n]{1,40})\]\(https?://[^)\s]+\)", re.IGNORECASE
)
REVERT = re.compile(r'^Revert "|^This reverts commit [0-9a-f]{7,40}', re.MULTILINE)
LINE_START = re.compile(r"^[ \t>*_-]*", re.MULTILINE)


@dataclass
class Detection:
    """One rule that fired on one commit (or on a pull request)."""

    signal: str  # an AIProvenance.SignalSource value
    strength: int
    agent: str  # registry entry id; empty for an AI trailer naming a tool the registry does not know
    tool: str
    rule: str
    source: str
    detail: str
    model: str = ""
    commit: str = ""

    def as_dict(self) -> dict:
        return {
            "signal": self.signal,
            "agent": self.agent,
            "tool": self.tool,
            "rule": self.rule,
            "source": self.source,
            "detail": self.detail[:300],
            "model": self.model,
            "commit": self.commit,
        }


@dataclass
class CommitVerdict:
    detections: list[Detection] = field(default_factory=list)
    automation: str = ""  # the non-AI automation entry that authored the commit, if any
    revert: bool = False

    @property
    def is_ai(self) -> bool:
        return bool(self.detections)

    @property
    def tool(self) -> str:
        """The agent id of the strongest detection ("" for none)."""
        ranked = sorted(self.detections, key=lambda d: d.strength)
        return next((d.agent or d.tool for d in ranked), "")


def _from_rule(rule: Rule, *, signal: str, strength: int, detail: str, model: str = "") -> Detection:
    return Detection(
        signal=signal,
        strength=strength,
        agent=rule.entry_id,
        tool=rule.entry_name,
        rule=rule.label,
        source=rule.source,
        detail=detail,
        model=model,
    )


def model_from_name(name: str) -> str:
    """ "Claude Opus 4.6 (1M context)" names a model; "Copilot" or "Cursor Agent" only a tool.

    A parenthesis holding a model ("aider (gemini/gemini-2.5-pro)") gives that model.
    """
    inner = re.search(r"\(([^)]*\d[^)]*)\)", name)
    bare = re.sub(r"\s*\([^)]*\)", "", name).strip()
    if re.search(r"\d", bare):
        return bare
    if inner and not re.search(r"\bcontext\b", inner.group(1)):
        return inner.group(1).strip()
    return ""


def _assisted_by(value: str, registry: Registry) -> tuple[Rule | None, str, str]:
    """(agent rule, tool text, model) of an `Assisted-by:` value; the model is never taken for the tool."""
    via = VIA.match(value)
    if via:
        tool, model, email = via.group("tool").strip(), via.group("model").strip(), via.group("email") or ""
        rule = (registry.identity(email=email) if email else None) or registry.alias(tool)
        return rule, tool, model
    person = PERSON.match(value)
    if person:  # "Claude Opus 4.6 <noreply@anthropic.com>", a co-author's form
        rule = registry.identity(email=person.group("email")) or registry.alias(person.group("name"))
        return rule, person.group("name"), model_from_name(person.group("name"))
    parsed = AGENT_MODEL.match(value)
    agent = parsed.group("agent") if parsed else value
    model = (parsed.group("model") or "") if parsed else ""
    rule = registry.alias(agent) or registry.alias(value)
    if not model and rule and value.lower() != rule.match.lower():
        model = model_from_name(value)  # "Claude Fable 5": the agent's alias, then the model
    return rule, agent, model


def _trailers(message: str, registry: Registry) -> list[Detection]:
    found = []
    for match in TRAILER_LINE.finditer(message):
        key, value = match.group("key").lower(), match.group("value")
        line = match.group(0).strip()
        if key == "co-authored-by":
            person = PERSON.match(value)
            if not person:
                continue
            rule = registry.identity(email=person.group("email"), name=person.group("name"))
            if rule and rule.is_ai:
                model = model_from_name(person.group("name"))
                found.append(_from_rule(rule, signal=TRAILER, strength=2, detail=line, model=model))
        elif key == "assisted-by":
            rule, tool, model = _assisted_by(value, registry)
            if rule and not rule.is_ai:
                continue
            detection = (
                _from_rule(rule, signal=TRAILER, strength=3, detail=line, model=model)
                if rule
                else Detection(TRAILER, 3, "", tool, "trailer: Assisted-by", _KERNEL, line, model=model)
            )
            detection.rule = f"trailer: Assisted-by ({detection.rule})" if rule else detection.rule
            found.append(detection)
        elif key == "generated-by":
            # Code generators sign this too (protoc, a release script): only a known agent counts.
            rule, _, _ = _assisted_by(value, registry)  # "Aider 0.80": a version, not a model
            if rule and rule.is_ai:
                found.append(_from_rule(rule, signal=TRAILER, strength=3, detail=line))
        elif key == "ai-assisted" and value.lower() in ("true", "yes", "1"):
            found.append(Detection(TRAILER, 3, "", "", "trailer: AI-assisted", _AI_ASSISTED, line))
        for pattern, rule in registry.trailers.get(key, []):
            if pattern.fullmatch(value):
                found.append(_from_rule(rule, signal=TRAILER, strength=3, detail=line))
    return found


_KERNEL = "https://docs.kernel.org/process/coding-assistants.html"
_AI_ASSISTED = "DESIGN §6 (AI-assisted: true)"


def _marks(message: str, registry: Registry) -> list[Detection]:
    found = []
    lines = [LINE_START.sub("", line, count=1) for line in message.splitlines()]
    for line in lines:
        if any(p.match(line) and not r.is_ai for p, r in registry.messages):
            continue  # a non-AI tool's footer ("Generated with [Release Please]")
        for pattern, rule in registry.messages:
            if rule.is_ai and pattern.match(line):
                found.append(_from_rule(rule, signal=MESSAGE, strength=4, detail=line.strip()))
        for generic in GENERATED_WITH.finditer(line):
            rule = registry.alias(generic.group("tool"))
            if rule and not any(d.agent == rule.entry_id and d.strength == 4 for d in found):
                detail = generic.group(0)
                found.append(_from_rule(rule, signal=MESSAGE, strength=4, detail=detail))
                found[-1].rule = f"message: Generated with [{rule.match}](…) ({rule.label})"
    subject = message.split("\n", 1)[0]
    for pattern, rule in registry.subjects:
        if rule.is_ai and pattern.match(subject):
            found.append(_from_rule(rule, signal=MESSAGE, strength=4, detail=subject[:120]))
    for pattern, rule in registry.links:
        link = pattern.search(message)
        if link:
            found.append(_from_rule(rule, signal=MESSAGE, strength=5, detail=link.group(0)))
    return found


def commit_detect(
    *,
    message: str,
    registry: Registry,
    author_name: str = "",
    author_email: str = "",
    author_login: str = "",
) -> CommitVerdict:
    """Every AI signal of one commit, with the rule that fired; see the module docstring for the order."""
    message = message.replace("\r\n", "\n").replace("\r", "\n")  # PR bodies squashed from the web UI
    verdict = CommitVerdict(revert=bool(REVERT.search(message)))
    author = registry.identity(email=author_email, login=author_login, name=author_name)
    if author is not None and not author.is_ai:
        verdict.automation = author.entry_id
    elif author is not None:
        who = f"{author_name} <{author_email}>".strip() if author_email else (author_login or author_name)
        verdict.detections.append(
            _from_rule(author, signal=BOT_AUTHOR, strength=1, detail=f"author {who}", model="")
        )
    verdict.detections.extend(_trailers(message, registry))
    # Footers and links of a revert belong to the reverted commit; an automation's footers are its own.
    if not verdict.revert and not verdict.automation:
        verdict.detections.extend(_marks(message, registry))
    return verdict


def login_detect(*, login: str, registry: Registry) -> Detection | None:
    """The pull request's author as an agent account (`copilot-swe-agent[bot]`), else None."""
    rule = registry.identity(login=login) if login else None
    if rule is None or not rule.is_ai:
        return None
    return _from_rule(rule, signal=BOT_AUTHOR, strength=1, detail=f"pull request author {login}")
