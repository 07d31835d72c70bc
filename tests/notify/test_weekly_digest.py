"""Monday's e-mail to each manager: their teams' thinly accountable production changes, the failure rates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accountability.analysis.digest import weekly_digest_send
from accountability.analysis.models import Gap
from accountability.catalog.models import Membership
from tests.factories import (
    ChangeFactory,
    DeploymentFactory,
    GapFactory,
    MembershipFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def test_each_manager_gets_their_teams_gaps_and_the_failure_rates_once_a_week(
    smtp, eager_tasks, django_capture_on_commit_callbacks, settings
):
    settings.ANALYSIS_METRICS_MIN_SAMPLE = 2
    payments, search = TeamFactory(name="Payments", slug="payments"), TeamFactory(name="Search")
    manager = PersonFactory(name="Maria Manager", email="maria@example.com")
    MembershipFactory(person=manager, team=payments, role=Membership.Role.MANAGER)
    MembershipFactory(person=PersonFactory(email="dev@example.com"), team=payments)  # not a manager
    change = ChangeFactory(service=ServiceFactory(owner_team=payments), title="Retry card captures twice")
    GapFactory(
        code=Gap.Code.UNSIGNED_PRODUCTION_CHANGE,
        severity="high",
        change=change,
        service=None,
        accountable_team=payments,
        sentence="Retry card captures twice went to production without a sign-off.",
    )
    GapFactory(code=Gap.Code.UNSIGNED_PRODUCTION_CHANGE, severity="high", accountable_team=search)
    for failed in (True, False, False):
        DeploymentFactory(
            change__service__owner_team=payments,
            status="rolled_back" if failed else "succeeded",
            finished_at=timezone.now() - timedelta(days=2),
        )

    for _ in range(2):  # beat fired twice in the same week
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digest_send()

    [mail] = smtp.messages
    assert mail["To"] == "maria@example.com"
    body = mail.get_content()
    assert "Payments: 1 unsigned production change" in body  # plain text: no mrkdwn marks in an e-mail
    assert "Retry card captures twice went to production without a sign-off." in body
    assert "Search" not in body
    assert "unknown: 33% (6% to 79%), 1 of 3 deployments" in body
