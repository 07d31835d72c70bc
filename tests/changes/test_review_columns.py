"""The risk review filters and sorts on copies kept on the change by database triggers (changes
migrations 0005 and 0006): each source write must reach them, whatever path it takes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accountability.analysis.models import BlastRadius, RiskAssessment
from accountability.analysis.services import changes_recompute
from accountability.changes.models import PENDING, Change, SignOff
from tests.factories import (
    AIProvenanceFactory,
    BlastRadiusFactory,
    ChangeFactory,
    PersonFactory,
    RiskAssessmentFactory,
    ServiceFactory,
    SignOffFactory,
)

pytestmark = pytest.mark.django_db


def reloaded(change: Change) -> Change:
    return Change.objects.get(pk=change.pk)


def test_it_copies_the_risk_score_and_radius_as_they_are_written_updated_and_deleted():
    change = ChangeFactory()
    risk = RiskAssessmentFactory(change=change, score=40)
    BlastRadiusFactory(change=change, score=2.5)
    assert (reloaded(change).risk_score, reloaded(change).blast_score) == (40, 2.5)

    RiskAssessment.objects.update_or_create(change=change, defaults={"score": 75})
    assert reloaded(change).risk_score == 75

    risk.delete()
    BlastRadius.objects.filter(change=change).delete()
    assert (reloaded(change).risk_score, reloaded(change).blast_score) == (None, None)


def test_it_copies_the_scores_of_the_analysis_bulk_upsert():
    changes = [ChangeFactory() for _ in range(3)]

    changes_recompute(change_ids=[change.pk for change in changes])

    for change in changes:
        stored = RiskAssessment.objects.get(change=change).score
        assert reloaded(change).risk_score == stored
        assert reloaded(change).blast_score == BlastRadius.objects.get(change=change).score


def test_it_follows_the_ledger_through_approval_and_revocation():
    change = ChangeFactory()
    signer = PersonFactory(name="Ada Owner")
    assert (reloaded(change).approved, reloaded(change).last_decision) == (False, "")

    approval = SignOffFactory(change=change, signer=signer)
    assert (reloaded(change).approved, reloaded(change).last_signer) == (True, "Ada Owner")

    SignOffFactory(change=change, signer=signer, decision=SignOff.Decision.REVOKE, revokes=approval)
    assert (reloaded(change).approved, reloaded(change).last_decision) == (False, "revoke")


def test_it_follows_the_provenance_level_and_share():
    change = ChangeFactory()
    assert reloaded(change).ai_level == "unknown"

    provenance = AIProvenanceFactory(change=change, level="generated", ai_share=Decimal("0.8"))
    assert (reloaded(change).ai_level, reloaded(change).ai_share) == ("generated", Decimal("0.8000"))

    provenance.delete()
    assert (reloaded(change).ai_level, reloaded(change).ai_share) == ("unknown", None)


def test_a_new_service_tier_and_a_renamed_signer_reach_the_changes():
    service = ServiceFactory(tier=3)
    change = ChangeFactory(service=service)
    signer = PersonFactory(name="Old Name")
    SignOffFactory(change=change, signer=signer)
    assert reloaded(change).service_tier == 3

    service.tier = 1
    service.save()
    signer.name = "New Name"
    signer.save()

    assert (reloaded(change).service_tier, reloaded(change).last_signer) == (1, "New Name")


def test_a_change_saved_from_a_stale_instance_keeps_the_copies():
    change = ChangeFactory()  # in memory: no risk, unsigned
    RiskAssessmentFactory(change=change, score=60)
    SignOffFactory(change=change)

    change.title = "Edited after the analysis ran"
    change.save()

    fresh = reloaded(change)
    assert (fresh.title, fresh.risk_score, fresh.approved) == ("Edited after the analysis ran", 60, True)


def test_a_pending_change_counts_as_in_every_period():
    pending = ChangeFactory(merged_at=None)
    merged = ChangeFactory(merged_at=timezone.now() - timedelta(days=2))

    assert reloaded(pending).review_at == PENDING
    in_a_day = Change.objects.filter(review_at__gte=timezone.now() - timedelta(hours=24))
    assert list(in_a_day) == [pending]
    assert merged in Change.objects.filter(review_at__gte=timezone.now() - timedelta(days=7))
