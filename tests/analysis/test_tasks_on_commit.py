"""The schedule hooks enqueue on commit, and a real worker stores the recomputed results."""

import pytest
from django.db import transaction

from accountability.analysis.models import BlastRadius, Gap, RiskAssessment
from accountability.analysis.tasks import change_analyze_task, incident_suspects_task, service_rescan_task
from accountability.catalog.models import Dependency
from accountability.followups import analysis_schedule_for_change, analysis_schedule_for_service
from tests.conftest import wait_until
from tests.factories import ChangeFactory, DeploymentFactory, ServiceFactory

pytestmark = pytest.mark.integration


def test_it_recomputes_a_change_on_a_worker_after_the_write_commits(celery_worker_process):
    change = ChangeFactory()
    DeploymentFactory(change=change)
    Dependency.objects.create(from_service=ServiceFactory(), to_service=change.service)

    with transaction.atomic():
        analysis_schedule_for_change(change.id)
        # Nothing is enqueued before the caller's transaction commits.
        assert not BlastRadius.objects.filter(change=change).exists()

    radius = wait_until(lambda: BlastRadius.objects.filter(change=change).first(), timeout=60)
    assert radius.impacted_count == 2
    assert wait_until(lambda: RiskAssessment.objects.filter(change=change).exists(), timeout=30)
    # The gap rescan commits after the results above, so it is waited for too.
    assert wait_until(
        lambda: Gap.objects.filter(
            change=change, code="UNSIGNED_PRODUCTION_CHANGE", resolved_at__isnull=True
        ).exists(),
        timeout=30,
    )


def test_it_rescans_a_service_on_a_worker(celery_worker_process):
    service = ServiceFactory(owner_team=None)

    analysis_schedule_for_service(service.id)

    assert wait_until(
        lambda: Gap.objects.filter(service=service, code="SERVICE_NO_OWNER").exists(), timeout=60
    )


@pytest.mark.django_db
def test_its_tasks_tolerate_rows_that_no_longer_exist():
    # Run in-process: a deleted row is not an error and stores nothing.
    change_analyze_task.run(10**9)
    service_rescan_task.run(10**9)
    incident_suspects_task.run(10**9)
    assert not BlastRadius.objects.exists()
    assert not Gap.objects.exists()
