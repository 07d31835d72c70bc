"""Risk score of a change (DESIGN §10): 0 to 100, the sum of explained factors.

Every factor adds points (never subtracts), so a change that fails one more control can only score
the same or higher: a manager can trust that fixing something never raises risk.
"""

from dataclasses import dataclass

from django.utils import timezone

from accountability.analysis.facts import AI_LEVELS_AT_LEAST_ASSISTED, ChangeFacts
from accountability.analysis.models import RiskAssessment

MAX_SCORE = 100


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    points: int
    sentence: str

    def as_json(self) -> dict:
        return {"code": self.code, "points": self.points, "sentence": self.sentence}


def risk_factors(*, facts: ChangeFacts) -> list[Factor]:
    """The factors that apply to a change, largest first.

    1. Blast radius: 5 points per unit of radius score, at most 25; an unknown radius counts 10.
    2. AI without matching verification: no non-author human review (15), mostly-AI without extra
       evidence (10), unknown provenance (5).
    3. Rollback: no plan (15); a plan never rehearsed in 90 days (5); forward fix only (5);
       a schema migration whose data change is irreversible or of unknown reversibility (10).
    4. Size: more than 400 changed lines (5), more than 1,000 (10).
    5. Tests: failing (15) or missing (10) CI tests for the deployed sha.
    6. Accountability: no standing approval (10); signer neither they nor a delegate on call during
       the 24 h bake window (5); first production deploy outside working hours (5).
    7. History: 3 points per incident on the service in the last 30 days, at most 10.
    """
    factors: list[Factor] = []
    if facts.blast_radius_unknown:
        factors.append(Factor("BLAST_RADIUS_UNKNOWN", 10, "Nobody recorded what depends on this service."))
    if facts.blast_radius_score:
        points = min(25, round(facts.blast_radius_score * 5))
        if points:
            factors.append(
                Factor(
                    "BLAST_RADIUS",
                    points,
                    f"{facts.blast_radius_count} services can break "
                    f"(radius score {facts.blast_radius_score:.2f}).",
                )
            )
    if facts.ai_level in AI_LEVELS_AT_LEAST_ASSISTED and not facts.human_review_ok:
        factors.append(
            Factor(
                "AI_UNREVIEWED",
                15,
                f"AI level {facts.ai_level} and no human other than the authors reviewed it.",
            )
        )
    if facts.ai_level in ("majority", "generated") and not facts.extra_evidence_ok:
        factors.append(
            Factor("AI_UNVERIFIED", 10, "Mostly AI-written with no canary, load test or manual QA evidence.")
        )
    if facts.ai_level == "unknown":
        factors.append(Factor("AI_UNKNOWN", 5, "How much of this change an AI wrote is unknown."))
    if facts.rollback is None:
        factors.append(Factor("NO_ROLLBACK_PLAN", 15, "There is no rollback plan."))
    else:
        if not facts.rehearsed_recently:
            factors.append(
                Factor("ROLLBACK_NOT_REHEARSED", 5, "The rollback was not rehearsed in the last 90 days.")
            )
        if facts.rollback.strategy == "forward_fix_only":
            factors.append(Factor("FORWARD_FIX_ONLY", 5, "The only way back is a forward fix."))
    if facts.touches_schema_migration and (facts.rollback is None or not facts.rollback.data_reversible):
        factors.append(
            Factor(
                "IRREVERSIBLE_DATA_CHANGE", 10, "It migrates a schema and the data change cannot be undone."
            )
        )
    if facts.diff_lines > 1000:
        factors.append(Factor("LARGE_DIFF", 10, f"{facts.diff_lines} changed lines."))
    elif facts.diff_lines > 400:
        factors.append(Factor("LARGE_DIFF", 5, f"{facts.diff_lines} changed lines."))
    if facts.ci_failed:
        factors.append(Factor("CI_FAILED", 15, "The latest CI tests for the deployed sha failed."))
    elif not facts.ci_passed:
        factors.append(Factor("NO_CI_TESTS", 10, "No CI test result for the deployed sha."))
    if facts.approval is None:
        factors.append(Factor("UNSIGNED", 10, "No owner has a standing approval of this change."))
    if facts.signer_on_call_in_bake is False:
        factors.append(
            Factor(
                "SIGNER_NOT_ON_CALL",
                5,
                "Neither the signer nor a delegate was on call in the 24 h bake window.",
            )
        )
    if facts.deployed_off_hours:
        factors.append(
            Factor("OFF_HOURS_DEPLOY", 5, "First deployed to production outside working hours (UTC).")
        )
    if facts.recent_incidents:
        factors.append(
            Factor(
                "RECENT_INCIDENTS",
                min(10, 3 * facts.recent_incidents),
                f"{facts.recent_incidents} incident(s) on this service in the last 30 days.",
            )
        )
    factors.sort(key=lambda factor: (-factor.points, factor.code))
    return factors


def risk_score(*, factors: list[Factor]) -> int:
    return min(MAX_SCORE, sum(factor.points for factor in factors))


def risk_assessment_store(*, change_id: int, facts: ChangeFacts) -> RiskAssessment:
    factors = risk_factors(facts=facts)
    assessment, _ = RiskAssessment.objects.update_or_create(
        change_id=change_id,
        defaults={
            "score": risk_score(factors=factors),
            "factors": [factor.as_json() for factor in factors],
            "computed_at": timezone.now(),
        },
    )
    return assessment
