import pytest

from accountability.audit.models import AuditEvent
from accountability.catalog.models import Team
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_it_records_logins_logouts_and_refused_logins(client):
    UserFactory(username="alice")

    client.post("/login/", {"username": "alice", "password": "wrong"})
    client.post("/login/", {"username": "alice", "password": TEST_PASSWORD})
    client.post("/logout/")

    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label", "ip_address"))
    assert events == [
        ("auth.login_failed", "alice", "127.0.0.1"),
        ("auth.login", "alice", "127.0.0.1"),
        ("auth.logout", "alice", "127.0.0.1"),
    ]


def test_it_records_an_edit_made_in_the_django_admin(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        "/admin/catalog/team/add/",
        {
            "name": "Payments",
            "slug": "payments",
            "record_source": "manual",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get(slug="payments")
    event = AuditEvent.objects.get(action="admin.add")
    assert event.actor == admin
    assert event.detail["model"] == "catalog.team" and event.detail["object_id"] == str(team.pk)


def test_it_still_audits_when_the_client_address_is_not_an_ip(client):
    UserFactory(username="alice")

    response = client.post(
        "/login/", {"username": "alice", "password": TEST_PASSWORD}, REMOTE_ADDR="unix-socket-peer"
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert event.ip_address is None
