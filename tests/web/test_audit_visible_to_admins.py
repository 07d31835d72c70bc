"""Every user action of the dashboard lands in the audit log, which admins (and only they) can read."""

import pytest
from django.utils import timezone

from accountability.analysis.models import Gap
from tests.factories import (
    ChangeFactory,
    IncidentFactory,
    MembershipFactory,
    PersonFactory,
    ServiceFactory,
    SuspectChangeFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_it_records_sign_off_gap_and_suspect_actions_and_shows_them_to_admins(client):
    owner = PersonFactory()
    service = ServiceFactory(owner_of_record=owner, tier=3)
    MembershipFactory(person=owner, team=service.owner_team)
    change = ChangeFactory(service=service)
    now = timezone.now()
    gap = Gap.objects.create(
        code="NO_ROLLBACK_PLAN", severity="high", change=change, sentence="x", first_seen=now, last_seen=now
    )
    suspect = SuspectChangeFactory(incident=IncidentFactory(), change=change)

    client.force_login(user_with_role("owner", person=owner))
    client.post(f"/changes/{change.pk}/sign/", {"decision": "reject", "note": "Not ready"})
    client.force_login(user_with_role("viewer", username="manager"))
    client.post(f"/review/gaps/{gap.pk}/acknowledge/", {"note": "Known"})
    client.force_login(user_with_role("commander"))
    client.post(
        f"/incidents/{suspect.incident_id}/suspects/{suspect.pk}/verdict/",
        {"verdict": "ruled_out", "sure": "on"},
    )

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    body = client.get("/admin/audit/auditevent/").content.decode()
    for action, who in (
        ("signoff.reject", "owner"),
        ("gap.acknowledge", "manager"),
        ("suspect.ruled_out", "commander"),
    ):
        assert action in body and who in body

    client.force_login(user_with_role("viewer", username="nosy"))
    assert client.get("/admin/audit/auditevent/").status_code == 302
