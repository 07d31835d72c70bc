"""Policy evaluation of the default policy (DESIGN §7) on hand-built changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.models import Policy
from accountability.analysis.policy import (
    DEFAULT_POLICY_RULES,
    policy_active,
    policy_evaluate,
    policy_publish,
)
from accountability.changes.models import AIProvenance, Evidence, RollbackPlan
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    EvidenceFactory,
    MembershipFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    SignOffFactory,
)

pytestmark = pytest.mark.django_db


def well_prepared_change(tier: int, **service):
    """A change that meets every control: signed by its owner, reviewed, tested, rehearsed rollback."""
    service = ServiceFactory(tier=tier, **service)
    change = ChangeFactory(service=service)
    AIProvenanceFactory(change=change, level=AIProvenance.Level.NONE)
    SignOffFactory(change=change, signer=service.owner_of_record)
    EvidenceFactory(change=change, kind=Evidence.Kind.CI_TESTS, sha=change.sha)
    EvidenceFactory(change=change, kind=Evidence.Kind.HUMAN_REVIEW, actor_login="bob")
    RollbackPlanFactory(change=change, last_rehearsed_at=timezone.now() - timedelta(days=10))
    return change


def failed_codes(evaluation):
    return {control.code for control in evaluation.failures}


def test_it_allows_a_change_that_meets_every_control():
    evaluation = policy_evaluate(change=well_prepared_change(1))

    assert evaluation.decision == "allow"
    assert {control.code for control in evaluation.controls} == {
        "owner_signed_off",
        "signer_accountable",
        "rollback_plan",
        "rollback_rehearsed",
        "ci_tests_passed",
        "human_review",
    }
    assert evaluation.policy_version == 1


def test_it_denies_a_tier_1_change_nobody_signed_and_says_why():
    change = well_prepared_change(1)
    unsigned = ChangeFactory(service=change.service)
    EvidenceFactory(change=unsigned, kind=Evidence.Kind.CI_TESTS, sha=unsigned.sha)

    evaluation = policy_evaluate(change=unsigned)

    assert evaluation.decision == "deny"
    assert "Nobody has signed off this change." in evaluation.sentences
    assert {"owner_signed_off", "signer_accountable", "human_review", "rollback_plan"} <= failed_codes(
        evaluation
    )


def test_it_only_warns_for_tier_3_when_recommended_controls_fail():
    service = ServiceFactory(tier=3)
    change = ChangeFactory(service=service)
    AIProvenanceFactory(change=change, level=AIProvenance.Level.NONE)
    EvidenceFactory(change=change, kind=Evidence.Kind.CI_TESTS, sha=change.sha)

    evaluation = policy_evaluate(change=change)

    assert evaluation.decision == "warn"
    assert failed_codes(evaluation) == {"owner_signed_off", "rollback_plan"}
    # Human review is required at tier 3 only for AI-assisted (or unknown) changes.
    assert "human_review" not in {control.code for control in evaluation.controls}


def test_it_treats_unknown_provenance_as_possibly_ai_at_tier_3():
    service = ServiceFactory(tier=3)
    change = ChangeFactory(service=service)  # no provenance at all: unknown, not none
    EvidenceFactory(change=change, kind=Evidence.Kind.CI_TESTS, sha=change.sha)

    evaluation = policy_evaluate(change=change)

    assert evaluation.decision == "deny"
    assert "No human other than its authors reviewed this change." in evaluation.sentences


def test_it_does_not_count_a_review_by_an_author_or_a_bot():
    change = well_prepared_change(2)
    change.evidence.filter(kind=Evidence.Kind.HUMAN_REVIEW).delete()
    EvidenceFactory(change=change, kind=Evidence.Kind.HUMAN_REVIEW, actor_login="alice")  # the author
    EvidenceFactory(change=change, kind=Evidence.Kind.HUMAN_REVIEW, actor_login="copilot-swe-agent[bot]")

    assert "human_review" in failed_codes(policy_evaluate(change=change))


def test_it_requires_a_signer_from_the_owning_team_and_ignores_revoked_approvals():
    change = well_prepared_change(1)
    teammate = MembershipFactory(team=change.service.owner_team).person
    outsider = PersonFactory()
    other = ChangeFactory(service=change.service)
    EvidenceFactory(change=other, kind=Evidence.Kind.CI_TESTS, sha=other.sha)
    approval = SignOffFactory(change=other, signer=teammate)
    SignOffFactory(change=other, signer=teammate, decision="revoke", revokes=approval)
    SignOffFactory(change=other, signer=outsider)

    evaluation = policy_evaluate(change=other)

    assert "owner_signed_off" not in failed_codes(evaluation)
    assert "signer_accountable" in failed_codes(evaluation)
    assert f"{outsider.name} is neither in the owning team nor the owner of record." in evaluation.sentences


def test_it_asks_mostly_ai_changes_for_evidence_beyond_unit_tests():
    change = well_prepared_change(1)
    AIProvenance.objects.filter(change=change).update(level=AIProvenance.Level.GENERATED)

    assert policy_evaluate(change=change).decision == "deny"

    EvidenceFactory(change=change, kind=Evidence.Kind.CANARY_ANALYSIS)

    assert policy_evaluate(change=change).decision == "allow"


def test_it_accepts_an_unrehearsed_rollback_only_when_data_stays_reversible():
    change = well_prepared_change(1)
    RollbackPlan.objects.filter(change=change).update(last_rehearsed_at=None, data_reversible=True)
    assert policy_evaluate(change=change).decision == "allow"

    RollbackPlan.objects.filter(change=change).update(data_reversible=False)
    evaluation = policy_evaluate(change=change)

    assert evaluation.decision == "deny"
    assert "The rollback was never rehearsed and its data change is irreversible." in evaluation.sentences


def test_it_applies_only_environment_wide_controls_to_staging():
    change = ChangeFactory(service=ServiceFactory(tier=1))

    evaluation = policy_evaluate(change=change, environment="staging")

    assert [control.code for control in evaluation.controls] == ["ci_tests_passed"]
    assert evaluation.decision == "deny"


def test_it_reports_the_owners_override_reason_on_a_deny():
    change = well_prepared_change(1)
    other = ChangeFactory(service=change.service)
    SignOffFactory(
        change=other,
        signer=change.service.owner_of_record,
        override_reason="Hotfix for SEV1",
        policy_decision="deny",
    )

    evaluation = policy_evaluate(change=other)

    assert evaluation.decision == "deny"
    assert evaluation.override_reason == "Hotfix for SEV1"


def test_it_evaluates_with_a_newly_published_version():
    change = well_prepared_change(3)
    assert policy_active().version == 1
    rules = {
        **DEFAULT_POLICY_RULES,
        "controls": [c for c in DEFAULT_POLICY_RULES["controls"] if c["code"] != "rollback_plan"],
    }

    policy_publish(rules=rules, name="No rollback needed", note="test")

    evaluation = policy_evaluate(change=change)
    assert evaluation.policy_version == 2
    assert "rollback_plan" not in {control.code for control in evaluation.controls}
    assert list(Policy.objects.filter(is_active=True).values_list("version", flat=True)) == [2]


def test_it_refuses_rules_it_cannot_evaluate():
    with pytest.raises(ValueError, match="code must be one of"):
        policy_publish(rules={"controls": [{"code": "astrology"}]}, name="bad")
    assert not Policy.objects.exists()
