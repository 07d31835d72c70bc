"""A scan opens a high-severity gap: the accountable team hears once, in one message per scan."""

import pytest

from accountability.analysis.gaps import gaps_scan_service
from accountability.analysis.models import Gap
from accountability.notify.models import Notification
from tests.factories import PersonFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_a_departed_owner_of_a_tier_1_service_is_told_to_its_team_once(
    slack, eager_tasks, django_capture_on_commit_callbacks
):
    departed = PersonFactory(name="Sam Left", is_active=False)
    team = TeamFactory(name="Payments", slug="payments", chat_channel="C0PAYMENTS")
    service = ServiceFactory(name="Payments API", tier=1, owner_team=team, owner_of_record=departed)

    for _ in range(2):  # the next scan keeps the gap open: nothing new to say
        with django_capture_on_commit_callbacks(execute=True):
            gaps_scan_service(service_id=service.pk)

    assert Gap.objects.filter(code=Gap.Code.OWNER_DEPARTED, severity="high").exists()
    [call] = slack.calls
    assert call["channel"] == "C0PAYMENTS"
    text = call["blocks"][0]["text"]["text"]
    assert "new high-severity ownership gap" in text
    assert "Sam Left" in text
    assert "/review/gaps/?team=payments" in call["blocks"][1]["elements"][0]["text"]
    assert Notification.objects.get().trigger == "gap"


def test_a_team_without_a_channel_or_address_is_not_told(eager_tasks, django_capture_on_commit_callbacks):
    service = ServiceFactory(tier=1, owner_team=TeamFactory(chat_channel="", email=""), owner_of_record=None)

    with django_capture_on_commit_callbacks(execute=True):
        gaps_scan_service(service_id=service.pk)

    assert Gap.objects.filter(severity="high").exists()
    assert not Notification.objects.exists()
