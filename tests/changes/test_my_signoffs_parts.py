"""My sign-offs in two parts: waiting to deploy first (a queued production deploy on top, with since when),
then shipped without my sign-off; the menu counts what waits."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ChangeFactory, DeploymentFactory, PersonFactory, ServiceFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return PersonFactory(name="Olga Owner")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(user_with_role("owner", person=owner))
    return client


def test_it_puts_what_a_deploy_waits_on_before_what_already_shipped(owner_client, owner):
    service = ServiceFactory(owner_of_record=owner)
    now = timezone.now()
    old_waiting = ChangeFactory(service=service, title="Old but waiting", merged_at=now - timedelta(days=5))
    queued = ChangeFactory(service=service, title="Queued for production", merged_at=now - timedelta(hours=1))
    DeploymentFactory(change=queued, environment="production", status="queued", finished_at=None)
    shipped = ChangeFactory(service=service, title="Shipped unsigned", merged_at=now - timedelta(days=2))
    DeploymentFactory(change=shipped, environment="production", status="succeeded")

    body = owner_client.get("/my/signoffs/").content.decode()

    waiting_part = body[body.index("Waiting to deploy (2)") : body.index("Shipped without your sign-off")]
    shipped_part = body[body.index("Shipped without your sign-off (1)") :]
    assert waiting_part.index("Queued for production") < waiting_part.index("Old but waiting")
    assert "Shipped unsigned" in shipped_part and "Shipped unsigned" not in waiting_part
    assert "Waiting since" in waiting_part
    assert f"{old_waiting.merged_at:%Y-%m-%d %H:%M}" in waiting_part
    assert "5\xa0days" in waiting_part


def test_the_menu_counts_the_changes_waiting_to_deploy(owner_client, owner):
    service = ServiceFactory(owner_of_record=owner)
    ChangeFactory(service=service)
    ChangeFactory(service=service)
    shipped = ChangeFactory(service=service)
    DeploymentFactory(change=shipped, environment="production", status="succeeded")

    body = owner_client.get("/").content.decode()

    assert 'title="2 waiting to deploy">2<' in body


def test_the_menu_shows_no_count_for_a_login_without_a_person(client):
    client.force_login(user_with_role("viewer", username="nobody"))

    assert "waiting to deploy" not in client.get("/").content.decode()
