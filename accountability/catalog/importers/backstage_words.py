"""What a Backstage entity says about itself beyond the core model: its tier, and the kind and criticality of
its dependencies (issue 15: every service landed at tier 3 and every `dependsOn` became a sync, hard edge).

Backstage has no standard fields for these, so the conventions read are documented (docs/intake-and-pull.md):

- Tier, first found wins: the annotation `accountability.io/tier`, the label `tier`, a tag `tier-1` / `tier1`
  / `t1`. Values `1`…`4`, also written `tier-1`, `tier1`, `t1`; anything else is reported, not guessed.
- Dependencies: the annotation `accountability.io/dependencies`, a comma-separated list of
  `<entity name>=<kind>[/<criticality>]`, kinds `sync`, `async`, `datastore`, `library`, criticalities `hard`,
  `soft` (e.g. `orders-db=datastore/hard, events=async/soft`). An edge it does not name keeps the default
  (datastore towards a database, else sync; hard).
- PagerDuty services of other environments: the annotation `accountability.io/pagerduty-services`, a
  comma-separated list of `<PagerDuty service id>=<environment>` (e.g. `PSTG123=staging`); the standard
  `pagerduty.com/service-id` stays production's.
"""

import re

from accountability.catalog.models import Dependency

TIER_ANNOTATION = "accountability.io/tier"
DEPENDENCIES_ANNOTATION = "accountability.io/dependencies"
PAGERDUTY_ANNOTATION = "accountability.io/pagerduty-services"
_TIER = re.compile(r"^(?:tier[-_ ]?|t)?([1-4])$", re.IGNORECASE)


def _metadata(entity: dict) -> dict:
    metadata = entity.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def entity_tier(entity: dict) -> tuple[int | None, str]:
    """(tier, problem): the tier the entity states, or None; a problem when it states one we cannot read."""
    metadata = _metadata(entity)
    stated = [
        _mapping(metadata.get("annotations")).get(TIER_ANNOTATION),
        _mapping(metadata.get("labels")).get("tier"),
    ]
    tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
    stated += [tag for tag in tags if isinstance(tag, str) and _TIER.match(tag.strip())]
    for value in stated:
        if value in (None, ""):
            continue
        match = _TIER.match(str(value).strip())
        if match is None:
            return None, f"tier {value!r} is not 1 to 4"
        return int(match.group(1)), ""
    return None, ""


def entity_dependency_words(entity: dict) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """({target entity name: (kind, criticality)}, problems) from the dependencies annotation."""
    value = _mapping(_metadata(entity).get("annotations")).get(DEPENDENCIES_ANNOTATION)
    words, problems = {}, []
    if not isinstance(value, str):
        return words, problems
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, _, said = item.partition("=")
        kind, _, criticality = said.strip().lower().partition("/")
        criticality = criticality or Dependency.Criticality.HARD
        if (
            not name.strip()
            or kind not in Dependency.Kind.values
            or criticality not in Dependency.Criticality.values
        ):
            problems.append(f"{DEPENDENCIES_ANNOTATION}: cannot read {item!r}")
            continue
        words[name.strip().lower()] = (kind, criticality)
    return words, problems


def entity_pagerduty_environments(entity: dict) -> tuple[dict[str, str], list[str]]:
    """({PagerDuty service id: environment}, problems) from the PagerDuty services annotation."""
    value = _mapping(_metadata(entity).get("annotations")).get(PAGERDUTY_ANNOTATION)
    mapping, problems = {}, []
    if not isinstance(value, str):
        return mapping, problems
    for item in (part.strip() for part in value.split(",")):
        service_id, _, environment = (side.strip() for side in item.partition("="))
        if not item:
            continue
        if not service_id or not environment or len(service_id) > 64 or len(environment) > 50:
            problems.append(f"{PAGERDUTY_ANNOTATION}: cannot read {item!r}")
            continue
        mapping[service_id] = environment.lower()
    return mapping, problems
