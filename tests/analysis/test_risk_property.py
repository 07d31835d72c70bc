"""Property: making one more control fail never lowers a change's risk score."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accountability.analysis.facts import Approval, ChangeFacts, RollbackFacts
from accountability.analysis.policy import DEFAULT_POLICY_RULES, policy_evaluate_facts
from accountability.analysis.risk import risk_factors, risk_score

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)

rollbacks = st.one_of(
    st.none(),
    st.builds(
        RollbackFacts,
        strategy=st.sampled_from(["redeploy_previous", "forward_fix_only", "down_migration"]),
        data_reversible=st.booleans(),
        rehearsed_at=st.one_of(
            st.none(), st.just(NOW - timedelta(days=5)), st.just(NOW - timedelta(days=400))
        ),
        inherited=st.booleans(),
    ),
)
approvals = st.one_of(
    st.none(),
    st.builds(
        Approval,
        signoff_id=st.just(1),
        signer_id=st.just(7),
        signer_name=st.just("Ada"),
        at=st.just(NOW),
        override_reason=st.sampled_from(["", "hotfix"]),
    ),
)


@st.composite
def facts(draw):
    approval = draw(approvals)
    return ChangeFacts(
        change_id=1,
        service_id=1,
        tier=draw(st.integers(1, 4)),
        ai_level=draw(st.sampled_from(["none", "assisted", "majority", "generated", "unknown"])),
        touches_schema_migration=draw(st.booleans()),
        diff_lines=draw(st.integers(0, 3000)),
        ci_passed=(ci := draw(st.sampled_from(["passed", "failed", "missing"]))) == "passed",
        ci_failed=ci == "failed",
        human_review_ok=draw(st.booleans()),
        extra_evidence_ok=draw(st.booleans()),
        rollback=draw(rollbacks),
        approval=approval,
        signer_in_owning_team=approval is not None and draw(st.booleans()),
        signer_on_call_in_bake=None if approval is None else draw(st.one_of(st.none(), st.booleans())),
        deployed_off_hours=draw(st.booleans()),
        blast_radius_score=draw(st.one_of(st.none(), st.floats(0, 20))),
        blast_radius_unknown=draw(st.booleans()),
        recent_incidents=draw(st.integers(0, 5)),
        evaluated_at=NOW,
    )


def fail(facts: ChangeFacts, control: str) -> ChangeFacts:
    """The same change with one control made to fail, the way it would fail in real data."""
    if control == "owner_signed_off":
        return replace(facts, approval=None, signer_in_owning_team=False, signer_on_call_in_bake=None)
    if control == "signer_accountable":
        return replace(facts, signer_in_owning_team=False)
    if control == "rollback_plan":
        return replace(facts, rollback=None)
    if control == "rollback_rehearsed":
        if facts.rollback is None:
            return facts
        return replace(facts, rollback=replace(facts.rollback, rehearsed_at=None, data_reversible=False))
    if control == "ci_tests_passed":
        return replace(facts, ci_passed=False, ci_failed=True)
    if control == "human_review":
        return replace(facts, human_review_ok=False)
    if control == "ai_extra_evidence":
        return replace(facts, extra_evidence_ok=False)
    raise AssertionError(control)


def score(facts: ChangeFacts) -> int:
    return risk_score(factors=risk_factors(facts=facts))


@settings(max_examples=500, deadline=None)
@given(facts(), st.sampled_from([control["code"] for control in DEFAULT_POLICY_RULES["controls"]]))
def test_it_never_lowers_risk_when_a_control_fails(before, control):
    after = fail(before, control)

    assert score(after) >= score(before)
    assert 0 <= score(after) <= 100
    # The transformation really fails the control wherever the policy applies it.
    evaluation = policy_evaluate_facts(
        facts=after, rules=DEFAULT_POLICY_RULES, version=1, environment="production"
    )
    assert all(not result.passed for result in evaluation.controls if result.code == control) or control in (
        "rollback_rehearsed",
    )


def test_it_explains_every_point_of_the_score():
    facts_ = ChangeFacts(
        change_id=1, service_id=1, tier=1, ai_level="generated", diff_lines=1500, evaluated_at=NOW
    )

    factors = risk_factors(facts=facts_)

    assert [(factor.code, factor.points) for factor in factors] == [
        ("AI_UNREVIEWED", 15),
        ("NO_ROLLBACK_PLAN", 15),
        ("AI_UNVERIFIED", 10),
        ("LARGE_DIFF", 10),
        ("NO_CI_TESTS", 10),
        ("UNSIGNED", 10),
    ]
    assert score(facts_) == 70
    assert all(factor.sentence for factor in factors)
