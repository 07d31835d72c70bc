"""The registry of AI coding agents and of non-AI automation, kept as data (`agents.toml`, DESIGN §6).

`registry_current()` reads the file once per process and compiles it into lookups by kind of rule; entries
an admin adds in the database (`AgentRule`) are merged in, and their newest change is part of the version,
so that adding one re-evaluates recent changes like a new file does.
"""

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REGISTRY_PATH = Path(__file__).with_name("agents.toml")
RULE_KINDS = {
    "login",
    "email",
    "email_re",
    "name",
    "name_suffix",
    "trailer",
    "message",
    "subject",
    "link",
    "alias",
    "prose",
}
AGENT_KINDS = {"ide", "terminal", "cloud", "review_bot"}
NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@]+)@users\.noreply\.github\.com$", re.IGNORECASE)


class RegistryError(ValueError):
    """The registry file is not what registry.py expects; raised at load, never at detection time."""


@dataclass(frozen=True)
class Rule:
    """One pattern of one entry, with the public source it came from."""

    entry_id: str
    entry_name: str
    is_ai: bool
    kind: str
    match: str
    source: str
    with_login: str = ""  # a message rule that fires only when this account authored or co-authored
    with_name: str = ""  # an address rule that holds only with this display name (a full-match regex)

    @property
    def label(self) -> str:
        named = f" (name {self.with_name})" if self.with_name else ""
        return f"{self.kind}: {self.match}{named}"

    def names(self, name: str) -> bool:
        """Whether the display name fits `with_name` (always, when the rule has none)."""
        return not self.with_name or bool(re.fullmatch(self.with_name, name.strip(), re.IGNORECASE))


@dataclass
class Registry:
    version: str
    entries: dict[str, dict] = field(default_factory=dict)
    by_email: dict[str, list[Rule]] = field(default_factory=dict)  # in file order
    by_login: dict[str, Rule] = field(default_factory=dict)
    by_name: dict[str, Rule] = field(default_factory=dict)
    email_patterns: list[tuple[re.Pattern, Rule]] = field(default_factory=list)
    name_suffixes: list[Rule] = field(default_factory=list)
    trailers: dict[str, list[tuple[re.Pattern, Rule]]] = field(default_factory=dict)
    messages: list[tuple[re.Pattern, Rule]] = field(default_factory=list)
    subjects: list[tuple[re.Pattern, Rule]] = field(default_factory=list)
    links: list[tuple[re.Pattern, Rule]] = field(default_factory=list)
    aliases: dict[str, Rule] = field(default_factory=dict)
    prose: list[tuple[re.Pattern, Rule]] = field(default_factory=list)  # longest name first

    # --- lookups -----------------------------------------------------------------------------------------

    def identity(self, *, email: str = "", login: str = "", name: str = "") -> Rule | None:
        """The entry an identity belongs to: by address, then by login, then by a product-only name.

        A login is also read from a GitHub noreply address. A person's display name alone never decides:
        `name` rules hold only names no person has ("Cursor Agent"), and suffixes a tool appends. An
        address rule with `with_name` holds only with that name: a vendor's shared no-reply address is the
        agent's only as "Codex <noreply@openai.com>"; OpenAI's code generator writes "Castiron <…>".
        """
        email = email.strip().lower()
        if email:
            for rule in self.by_email.get(email, ()):
                if rule.names(name):
                    return rule
            for pattern, rule in self.email_patterns:
                if pattern.fullmatch(email) and rule.names(name):
                    return rule
        logins = [login.strip().lower()] if login.strip() else []
        noreply = NOREPLY.match(email)
        if noreply:
            logins.append(noreply.group("login").lower())
        for candidate in logins:
            if candidate in self.by_login:
                return self.by_login[candidate]
        name = name.strip()
        if name:
            if name.lower() in self.by_name:
                return self.by_name[name.lower()]
            for rule in self.name_suffixes:
                if name.lower().endswith(rule.match.lower()):
                    return rule
        return None

    def alias(self, text: str) -> Rule | None:
        """The agent a tool name names: an exact alias, else the longest alias the text starts with."""
        key = text.strip().lower()
        if key in self.aliases:
            return self.aliases[key]
        best = None
        for alias, rule in self.aliases.items():
            if key.startswith(alias + " ") and (best is None or len(alias) > len(best[0])):
                best = (alias, rule)
        return best[1] if best else None

    def prose_name(self, text: str) -> tuple[Rule, re.Match] | None:
        """The agent the earliest `prose` name in the text names (the longest name at that place)."""
        best = None
        for pattern, rule in self.prose:
            found = pattern.search(text)
            if found and (best is None or found.start() < best[1].start()):
                best = (rule, found)
        return best

    def entry(self, entry_id: str) -> dict:
        return self.entries.get(entry_id, {})


def _compile(registry: Registry, rule: Rule) -> None:
    key = rule.match.lower()
    try:
        if rule.kind == "email":
            registry.by_email.setdefault(key, []).append(rule)
        elif rule.kind == "email_re":
            registry.email_patterns.append((re.compile(rule.match, re.IGNORECASE), rule))
        elif rule.kind == "login":
            registry.by_login.setdefault(key, rule)
        elif rule.kind == "name":
            registry.by_name.setdefault(key, rule)
        elif rule.kind == "name_suffix":
            registry.name_suffixes.append(rule)
        elif rule.kind == "trailer":
            trailer, _, value = rule.match.partition(":")
            registry.trailers.setdefault(trailer.strip().lower(), []).append(
                (re.compile(value.strip(), re.IGNORECASE), rule)
            )
        elif rule.kind == "message":
            # Anchored at a line's start and compiled without DOTALL: a mark never spans a line break.
            registry.messages.append((re.compile(rule.match), rule))
        elif rule.kind == "subject":
            registry.subjects.append((re.compile(rule.match), rule))
        elif rule.kind == "link":
            registry.links.append((re.compile(rule.match), rule))
        elif rule.kind == "alias" and rule.is_ai:
            registry.aliases.setdefault(key, rule)
        elif rule.kind == "prose" and rule.is_ai:
            # A whole word (a version may follow: "codex 5.5"), case-insensitive; longest names first so that
            # "Claude Code" wins over "Claude" at the same place.
            pattern = re.compile(rf"(?<![\w.-]){re.escape(rule.match)}(?!\w|\.\w)", re.IGNORECASE)
            registry.prose.append((pattern, rule))
            registry.prose.sort(key=lambda item: -len(item[1].match))
    except re.error as error:
        raise RegistryError(f"{rule.entry_id}: bad pattern {rule.match!r}: {error}") from None


def registry_parse(
    data: dict, *, extra_rules: list[dict] | None = None, version_suffix: str = ""
) -> Registry:
    """Build a Registry from the parsed file (and database rules); refuses entries without a source."""
    if not isinstance(data.get("version"), str):
        raise RegistryError("the registry has no version")
    registry = Registry(version=data["version"] + version_suffix)
    for section, is_ai in (("agent", True), ("automation", False)):
        for entry in data.get(section, []):
            entry_id, name = entry.get("id"), entry.get("name")
            if not entry_id or not name or entry_id in registry.entries:
                raise RegistryError(f"{section} entry {entry_id!r}: missing or repeated id, or no name")
            if is_ai and entry.get("kind") not in AGENT_KINDS:
                raise RegistryError(f"agent {entry_id}: kind must be one of {sorted(AGENT_KINDS)}")
            registry.entries[entry_id] = {**{k: v for k, v in entry.items() if k != "rules"}, "is_ai": is_ai}
            for raw in entry.get("rules", []):
                _add_rule(registry, entry_id=entry_id, name=name, is_ai=is_ai, raw=raw)
    for raw in extra_rules or []:
        entry = registry.entries.get(raw["entry_id"])
        if entry is None:
            continue  # a database rule for an entry the file no longer has
        _add_rule(registry, entry_id=raw["entry_id"], name=entry["name"], is_ai=entry["is_ai"], raw=raw)
    return registry


def _add_rule(registry: Registry, *, entry_id: str, name: str, is_ai: bool, raw: dict) -> None:
    kind, match, source = raw.get("kind"), raw.get("match"), raw.get("source")
    if kind not in RULE_KINDS or not match or not source:
        raise RegistryError(f"{entry_id}: every rule needs a known kind, a match and a source ({raw!r})")
    with_login = raw.get("with_login") or ""
    if with_login and kind != "message":
        raise RegistryError(f"{entry_id}: only a message rule may carry with_login ({raw!r})")
    with_name = raw.get("with_name") or ""
    if with_name and kind not in ("email", "email_re"):
        raise RegistryError(f"{entry_id}: only an email or email_re rule may carry with_name ({raw!r})")
    try:
        re.compile(with_name)
    except re.error as error:
        raise RegistryError(f"{entry_id}: bad with_name {with_name!r}: {error}") from None
    rule = Rule(
        entry_id, name, is_ai, kind, match, source, with_login=with_login.strip().lower(), with_name=with_name
    )
    _compile(registry, rule)


@lru_cache(maxsize=1)
def registry_file() -> dict:
    with REGISTRY_PATH.open("rb") as handle:
        return tomllib.load(handle)


def registry_current() -> Registry:
    """The registry in force: the file plus the rules admins added (cached per database version)."""
    from accountability.changes.models import AgentRule

    rules = list(AgentRule.objects.order_by("id").values("entry_id", "kind", "match", "source", "updated_at"))
    suffix = f"+db{len(rules)}.{max(r['updated_at'] for r in rules):%Y%m%d%H%M%S}" if rules else ""
    return _registry_cached(suffix, tuple((r["entry_id"], r["kind"], r["match"], r["source"]) for r in rules))


@lru_cache(maxsize=4)
def _registry_cached(suffix: str, rules: tuple[tuple[str, str, str, str], ...]) -> Registry:
    extra = [dict(zip(("entry_id", "kind", "match", "source"), rule, strict=True)) for rule in rules]
    return registry_parse(registry_file(), extra_rules=extra, version_suffix=suffix)


def registry_from_file() -> Registry:
    """The file alone (no database): for checks that run without one."""
    return _registry_cached("", ())
