"""The admin shows neither secret nor token, keeps them when left empty, and replays deliveries."""

import pytest

from accountability.ingest.models import Delivery, Source
from accountability.ingest.wake import deliveries_wake
from tests.factories import DeliveryFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_it_never_renders_the_secret_or_the_token(admin_client):
    source = SourceFactory(secret="s3cret-value", token="ghp_token-value")
    response = admin_client.get(f"/admin/ingest/source/{source.id}/change/")
    assert response.status_code == 200
    assert b"s3cret-value" not in response.content
    assert b"ghp_token-value" not in response.content


def test_it_keeps_the_secret_when_the_field_is_left_empty(admin_client):
    source = SourceFactory(kind=Source.Kind.GITHUB, name="gh", secret="s3cret", token="tok")
    response = admin_client.post(
        f"/admin/ingest/source/{source.id}/change/",
        {
            "kind": "github",
            "name": "gh",
            "secret": "",
            "token": "",
            "url": "",
            "config": "{}",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.secret, source.token) == ("s3cret", "tok")


def test_it_replaces_the_secret_and_removes_the_token_on_request(admin_client):
    source = SourceFactory(kind=Source.Kind.GITHUB, name="gh", secret="s3cret", token="tok")
    admin_client.post(
        f"/admin/ingest/source/{source.id}/change/",
        {
            "kind": "github",
            "name": "gh",
            "secret": "new",
            "clear_token": "on",
            "config": "{}",
            "enabled": "on",
        },
    )
    source.refresh_from_db()
    assert (source.secret, source.token) == ("new", "")


def test_it_lists_deliveries_with_their_error(admin_client):
    DeliveryFactory(status=Delivery.Status.FAILED, error="event is missing")
    response = admin_client.get("/admin/ingest/delivery/?status__exact=failed")
    assert response.status_code == 200
    assert b"event is missing" in response.content


def test_its_replay_action_puts_deliveries_back_to_pending(admin_client, django_capture_on_commit_callbacks):
    failed = DeliveryFactory(status=Delivery.Status.FAILED, error="boom")
    processed = DeliveryFactory(status=Delivery.Status.PROCESSED)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/ingest/delivery/",
            {"action": "replay", "_selected_action": [failed.id, processed.id]},
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("pending", "")
    assert Delivery.objects.get(id=processed.id).status == "pending"
    assert callbacks == [deliveries_wake]  # one wake-up for both: the drain claims every pending delivery


def test_a_viewer_cannot_replay(client):
    viewer = UserFactory(username="staff-viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client.force_login(viewer)
    failed = DeliveryFactory(status=Delivery.Status.FAILED)
    client.post("/admin/ingest/delivery/", {"action": "replay", "_selected_action": [failed.id]})
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_it_shows_a_delivery_with_its_body_and_headers(admin_client):
    delivery = DeliveryFactory(
        event_type="push", headers={"x-github-event": "push"}, body=b'{"ref": "refs/heads/main"}'
    )
    response = admin_client.get(f"/admin/ingest/delivery/{delivery.id}/change/")
    assert response.status_code == 200
    assert b"refs/heads/main" in response.content
    assert b"x-github-event" in response.content
