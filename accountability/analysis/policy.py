"""Policy (DESIGN §7): what a change needs before it reaches an environment, as versioned data."""

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accountability.analysis.facts import AI_LEVELS_AT_LEAST_ASSISTED, ChangeFacts, change_facts
from accountability.analysis.models import Decision, Policy, PolicyResult
from accountability.changes.models import Change

REQUIRED = "required"
RECOMMENDED = "recommended"
ALL_TIERS_REQUIRED = {"1": REQUIRED, "2": REQUIRED, "3": REQUIRED, "4": REQUIRED}
# "Unknown is not none": a change whose provenance is unknown may be AI-written, so it is treated
# like an assisted one wherever the policy asks "AI level at least assisted".
AI_MAYBE = [*AI_LEVELS_AT_LEAST_ASSISTED, "unknown"]

DEFAULT_POLICY_RULES: dict = {
    "params": {"rehearsal_max_age_days": 90},
    "controls": [
        {
            "code": "owner_signed_off",
            "label": "Owner of record signed off",
            "tiers": {"1": REQUIRED, "2": REQUIRED, "3": RECOMMENDED, "4": RECOMMENDED},
        },
        {
            "code": "signer_accountable",
            "label": "Signer is in the owning team or is the owner of record",
            "tiers": {"1": REQUIRED, "2": REQUIRED},
        },
        {
            "code": "rollback_plan",
            "label": "Rollback plan present",
            "tiers": {"1": REQUIRED, "2": REQUIRED, "3": RECOMMENDED, "4": RECOMMENDED},
        },
        {
            "code": "rollback_rehearsed",
            "label": "Rollback rehearsed within 90 days (or data reversible)",
            "tiers": {"1": REQUIRED, "2": RECOMMENDED},
        },
        {
            "code": "ci_tests_passed",
            "label": "Passing CI tests for the deployed sha",
            "tiers": ALL_TIERS_REQUIRED,
            "environments": ["*"],
        },
        {
            "code": "human_review",
            "label": "Human review by a non-author",
            "tiers": ALL_TIERS_REQUIRED,
            "ai_levels": {"3": AI_MAYBE, "4": AI_MAYBE},
        },
        {
            "code": "ai_extra_evidence",
            "label": "Extra evidence beyond unit tests for mostly AI-written changes",
            "tiers": {"1": REQUIRED, "2": RECOMMENDED},
            "ai_levels": {"1": ["majority", "generated"], "2": ["majority", "generated"]},
        },
    ],
}
DEFAULT_ENVIRONMENTS = ["production"]


@dataclass(frozen=True, slots=True)
class ControlResult:
    code: str
    label: str
    requirement: str
    passed: bool
    sentence: str

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "requirement": self.requirement,
            "passed": self.passed,
            "sentence": self.sentence,
        }


@dataclass(slots=True)
class PolicyEvaluation:
    decision: str
    controls: list[ControlResult]
    policy_version: int
    environment: str
    # A standing approval that overrode a deny, with the owner's written reason.
    override_reason: str = ""
    failures: list[ControlResult] = field(default_factory=list)

    @property
    def sentences(self) -> list[str]:
        return [control.sentence for control in self.failures]


def policy_active() -> Policy:
    """The active policy version; the default policy becomes version 1 the first time none exists."""
    policy = Policy.objects.filter(is_active=True).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            policy, _ = Policy.objects.get_or_create(
                version=1,
                defaults={
                    "rules": copy.deepcopy(DEFAULT_POLICY_RULES),
                    "is_active": True,
                    "note": "DESIGN §7",
                },
            )
    except IntegrityError:
        # Another process created it at the same moment.
        pass
    return Policy.objects.get(is_active=True)


@transaction.atomic
def policy_publish(*, rules: dict, name: str, note: str = "", user: AbstractBaseUser | None = None) -> Policy:
    """Stores `rules` as the next version and makes it the active one (versions are never edited)."""
    policy_rules_validate(rules=rules)
    Policy.objects.select_for_update().filter(is_active=True).update(is_active=False)
    version = (Policy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    return Policy.objects.create(
        version=version,
        name=name,
        rules=rules,
        is_active=True,
        note=note,
        created_by=user if user is not None and user.is_authenticated else None,
    )


KNOWN_CONTROLS = {control["code"] for control in DEFAULT_POLICY_RULES["controls"]}


def policy_rules_validate(*, rules: dict) -> None:
    """Raises ValueError with a readable message when the rules cannot be evaluated."""
    if not isinstance(rules, dict) or not isinstance(rules.get("controls"), list):
        raise ValueError('Rules must be an object with a "controls" list.')
    for position, control in enumerate(rules["controls"]):
        where = f"controls[{position}]"
        if not isinstance(control, dict) or control.get("code") not in KNOWN_CONTROLS:
            raise ValueError(f"{where}: code must be one of {', '.join(sorted(KNOWN_CONTROLS))}.")
        tiers = control.get("tiers", {})
        if not isinstance(tiers, dict) or any(
            tier not in ("1", "2", "3", "4") or level not in (REQUIRED, RECOMMENDED)
            for tier, level in tiers.items()
        ):
            raise ValueError(f'{where}: tiers maps "1".."4" to "required" or "recommended".')


def control_requirement(control: dict, *, facts: ChangeFacts, environment: str) -> str | None:
    """ "required", "recommended", or None when the control does not apply to this change here."""
    environments = control.get("environments", DEFAULT_ENVIRONMENTS)
    if "*" not in environments and environment not in environments:
        return None
    tier = str(facts.tier)
    level = control.get("tiers", {}).get(tier)
    if level is None:
        return None
    ai_levels = control.get("ai_levels", {}).get(tier)
    if ai_levels is not None and facts.ai_level not in ai_levels:
        return None
    return level


def _check(code: str, facts: ChangeFacts, params: dict) -> tuple[bool, str]:
    """(passed, sentence) for one control; the sentence explains a failure in the owner's terms."""
    if code == "owner_signed_off":
        if facts.approval is not None:
            return True, f"Approved by {facts.approval.signer_name}."
        if facts.approval_revoked:
            return False, "The approval of this change was revoked and nobody has approved it since."
        return False, "Nobody has signed off this change."
    if code == "signer_accountable":
        if facts.approval is None:
            return False, "There is no approval whose signer could be checked."
        if facts.signer_in_owning_team:
            return True, f"{facts.approval.signer_name} is accountable for this service."
        return False, f"{facts.approval.signer_name} is neither in the owning team nor the owner of record."
    if code == "rollback_plan":
        if facts.rollback is not None:
            return True, "A rollback plan is recorded."
        return False, "There is no rollback plan for this change or its service."
    if code == "rollback_rehearsed":
        if facts.rollback is None:
            return False, "There is no rollback plan, so none was rehearsed."
        max_days = params.get("rehearsal_max_age_days", 90)
        if facts.rollback.rehearsed_at and facts.rollback.rehearsed_at >= facts.evaluated_at - timedelta(
            days=max_days
        ):
            return True, "The rollback was rehearsed recently."
        if facts.rollback.data_reversible:
            return True, "The rollback keeps data reversible."
        if facts.rollback.rehearsed_at:
            return (
                False,
                f"The rollback was last rehearsed more than {max_days} days ago and data is irreversible.",
            )
        return False, "The rollback was never rehearsed and its data change is irreversible."
    if code == "ci_tests_passed":
        if facts.ci_passed:
            return True, "CI tests passed for the deployed sha."
        if facts.ci_failed:
            return False, "The latest CI tests for the deployed sha failed."
        return False, "No CI test result is recorded for the deployed sha."
    if code == "human_review":
        if facts.human_review_ok:
            return True, "A human who is not an author reviewed it."
        return False, "No human other than its authors reviewed this change."
    if code == "ai_extra_evidence":
        if facts.extra_evidence_ok:
            return True, "Canary, load test or manual QA evidence passed."
        return False, (
            f"AI level {facts.ai_level} needs passing evidence beyond unit tests "
            "(canary, load test or manual QA)."
        )
    raise ValueError(f"unknown control {code!r}")


def policy_evaluate_facts(
    *, facts: ChangeFacts, rules: dict, version: int, environment: str
) -> PolicyEvaluation:
    """Evaluates every control that applies to the change's tier, AI level and environment.

    1. For each control of the policy, find its requirement for this tier/environment/AI level
       (required, recommended, or not applicable).
    2. Check it against the facts; a failed control carries a sentence saying what is missing.
    3. Decision: deny if a required control failed, warn if a recommended one failed, else allow.
    """
    params = rules.get("params", {})
    controls = []
    for control in rules["controls"]:
        requirement = control_requirement(control, facts=facts, environment=environment)
        if requirement is None:
            continue
        passed, sentence = _check(control["code"], facts, params)
        controls.append(
            ControlResult(
                code=control["code"],
                label=control.get("label", control["code"]),
                requirement=requirement,
                passed=passed,
                sentence=sentence,
            )
        )
    failures = [control for control in controls if not control.passed]
    if any(control.requirement == REQUIRED for control in failures):
        decision = Decision.DENY
    elif failures:
        decision = Decision.WARN
    else:
        decision = Decision.ALLOW
    override = ""
    if decision == Decision.DENY and facts.approval is not None and facts.approval.override_reason.strip():
        override = facts.approval.override_reason.strip()
    return PolicyEvaluation(
        decision=decision,
        controls=controls,
        policy_version=version,
        environment=environment,
        override_reason=override,
        failures=failures,
    )


def policy_evaluate(
    *, change: Change, environment: str = "production", now: datetime | None = None
) -> PolicyEvaluation:
    """The active policy evaluated for one change and environment, from the database now."""
    policy = policy_active()
    return policy_evaluate_facts(
        facts=change_facts(change=change, now=now),
        rules=policy.rules,
        version=policy.version,
        environment=environment,
    )


def policy_result_store(*, change_id: int, evaluation: PolicyEvaluation, policy: Policy) -> PolicyResult:
    result, _ = PolicyResult.objects.update_or_create(
        change_id=change_id,
        environment=evaluation.environment,
        defaults={
            "decision": evaluation.decision,
            "controls": [control.as_json() for control in evaluation.controls],
            "policy": policy,
            "policy_version": policy.version,
            "computed_at": timezone.now(),
        },
    )
    return result


def policy_result_for(*, change: Change, environment: str = "production") -> PolicyResult | None:
    """The stored evaluation of a change for an environment, or None when never computed."""
    return PolicyResult.objects.filter(change=change, environment=environment).first()
