"""What a deployment environment's name means: production, staging, development or ephemeral (DESIGN §4).

Controls apply by the class, so the class must never be guessed from the spelling: `prd`, `Production EU`,
`us-prod`, `live-eu`, `main` and `canary` all went out to customers somewhere. The rules, in order:

1. The source itself says production (GitHub's `production_environment`): production.
2. An admin's EnvironmentMapping whose pattern is the name (case-insensitive, NFKC): its class.
3. An admin's mapping whose pattern (`*`, `?`) matches the name: the longest pattern's class (the most
   specific), production first among patterns of one length, so that overlapping mappings fail closed.
4. The class names themselves and two aliases (`stage`, `dev`): their class. These are names, not guesses,
   and an admin mapping of the same name takes precedence.
5. Anything else: production (fail closed), until an admin maps it.

The answer says which rule applied, so that the gate can show it.
"""

import dataclasses
import fnmatch
import re
import unicodedata

from accountability.catalog.models import EnvironmentMapping

Kind = EnvironmentMapping.Kind

_BUILT_IN = {
    "production": Kind.PRODUCTION,
    "staging": Kind.STAGING,
    "stage": Kind.STAGING,
    "development": Kind.DEVELOPMENT,
    "dev": Kind.DEVELOPMENT,
    "ephemeral": Kind.EPHEMERAL,
}


@dataclasses.dataclass(frozen=True)
class EnvironmentClass:
    environment: str  # one of EnvironmentMapping.Kind
    name: str  # the name asked about, normalised
    mapping: str  # which rule applied, as a sentence


def environment_normalise(name: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name or "").casefold()).strip()


def environment_classify(*, name: str, production: bool | None = None) -> EnvironmentClass:
    """The class of an environment name; see the module's docstring for the rules."""
    normalised = environment_normalise(name)
    if production:
        return EnvironmentClass(Kind.PRODUCTION, normalised, "the source marks it a production environment")
    mappings = [(environment_normalise(m.pattern), m.environment) for m in EnvironmentMapping.objects.all()]
    for pattern, environment in mappings:
        if pattern == normalised:
            return EnvironmentClass(environment, normalised, f"mapping “{pattern}” → {environment}")
    matching = [
        (pattern, environment)
        for pattern, environment in mappings
        if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(normalised, pattern)
    ]
    if matching:
        pattern, environment = min(matching, key=lambda m: (-len(m[0]), m[1] != Kind.PRODUCTION, m[0]))
        return EnvironmentClass(environment, normalised, f"mapping “{pattern}” → {environment}")
    if normalised in _BUILT_IN:
        environment = _BUILT_IN[normalised]
        return EnvironmentClass(environment, normalised, f"built-in name “{normalised}” → {environment}")
    return EnvironmentClass(
        Kind.PRODUCTION,
        normalised,
        f"“{normalised}” is not mapped: treated as production until an admin maps it",
    )
