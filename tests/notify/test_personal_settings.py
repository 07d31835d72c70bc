"""Each person chooses what reaches them: a muted trigger sends nothing, quiet hours hold a message."""

from datetime import UTC, datetime, time

import pytest

from accountability.notify.models import Notification, NotificationSettings
from accountability.notify.services import notification_queue, quiet_hours_end
from tests.factories import TEST_PASSWORD, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def queue_signoff(person):
    return notification_queue(
        key=f"signoff:{person.pk}",
        trigger="signoff_needed",
        channel="email",
        recipient=person.email,
        subject="Sign-off needed",
        body="b",
        person=person,
    )


def test_a_person_who_muted_signoff_requests_gets_none():
    person = PersonFactory(email="jane@example.com")
    NotificationSettings.objects.create(person=person, muted_triggers=["signoff_needed"])

    assert queue_signoff(person) is None
    assert not Notification.objects.exists()


def test_quiet_hours_hold_a_signoff_request_until_they_end_in_the_persons_time_zone():
    chosen = NotificationSettings(quiet_from=time(22), quiet_until=time(7), time_zone="Europe/Paris")
    # 23:30 in Paris (UTC+1 in December) is inside; the message waits for 07:00 Paris, 06:00 UTC.
    assert quiet_hours_end(settings_row=chosen, at=datetime(2026, 12, 2, 22, 30, tzinfo=UTC)) == datetime(
        2026, 12, 3, 6, 0, tzinfo=UTC
    )
    noon = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    assert quiet_hours_end(settings_row=chosen, at=noon) == noon


def test_an_incident_ignores_a_persons_settings():
    person = PersonFactory(email="jane@example.com")
    NotificationSettings.objects.create(person=person, muted_triggers=["signoff_needed", "digest"])
    incident = notification_queue(
        key="incident:1",
        trigger="incident",
        channel="email",
        recipient=person.email,
        subject="s",
        body="b",
        person=person,
    )
    assert incident is not None


def test_the_settings_page_saves_what_the_person_chose(client):
    user = UserFactory(username="jane")
    person = PersonFactory(user=user, email="jane@example.com")
    client.login(username="jane", password=TEST_PASSWORD)

    page = client.get("/settings/notifications/")
    assert page.status_code == 200
    assert b"Incidents always reach your team" in page.content

    response = client.post(
        "/settings/notifications/",
        {
            "muted_triggers": ["digest"],
            "quiet_from": "22:00",
            "quiet_until": "07:00",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    chosen = NotificationSettings.objects.get(person=person)
    assert (chosen.muted_triggers, chosen.quiet_from, chosen.time_zone) == (
        ["digest"],
        time(22),
        "Europe/Paris",
    )

    half = client.post("/settings/notifications/", {"quiet_from": "22:00", "time_zone": "UTC"})
    assert half.status_code == 200
    assert b"Give both ends of your quiet hours" in half.content


def test_the_settings_page_needs_a_login(client):
    response = client.get("/settings/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
