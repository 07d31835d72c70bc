"""The sweep recomputes changes written by someone who did not call the schedule hook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.models import BlastRadius, Gap, RiskAssessment
from accountability.analysis.services import changes_sweep
from accountability.changes.models import Change, Evidence
from tests.factories import ChangeFactory, DeploymentFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


def test_it_recomputes_recently_touched_changes_only():
    long_ago = timezone.now() - timedelta(days=3)
    old = ChangeFactory()
    Change.objects.filter(pk=old.pk).update(updated_at=long_ago)
    deployed = ChangeFactory()
    Change.objects.filter(pk=deployed.pk).update(updated_at=long_ago)
    DeploymentFactory(change=deployed)  # just finished
    reviewed = ChangeFactory()
    Change.objects.filter(pk=reviewed.pk).update(updated_at=long_ago)
    EvidenceFactory(change=reviewed, kind=Evidence.Kind.CI_TESTS)

    count = changes_sweep(since=timezone.now() - timedelta(minutes=5))

    assert count == 2
    assert set(BlastRadius.objects.values_list("change_id", flat=True)) == {deployed.id, reviewed.id}
    assert set(RiskAssessment.objects.values_list("change_id", flat=True)) == {deployed.id, reviewed.id}
    # Only the deployed one reached production, so only it can have production gaps.
    assert set(Gap.objects.values_list("change_id", flat=True)) == {deployed.id}
