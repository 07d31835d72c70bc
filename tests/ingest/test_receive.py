"""Each documented answer of a webhook receiver, with what it leaves in the database."""

import threading

import pytest
from django.db import connection, connections

from accountability.ingest.models import Delivery, Source
from tests.factories import SourceFactory
from tests.ingest.conftest import fixture_bytes, github_headers, post

pytestmark = pytest.mark.django_db

URL = "/webhooks/github/gh-main/"
PUSH = "github/push/real-push-to-master.ailisp-reallyfastci.json"


@pytest.fixture
def source():
    return SourceFactory(kind=Source.Kind.GITHUB, name="gh-main")


def test_it_accepts_a_signed_delivery_and_stores_it_pending(
    client, source, django_capture_on_commit_callbacks
):
    body = fixture_bytes(PUSH)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, URL, body, github_headers(body, event="push", delivery="88f41318"))
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert response.json() == {"status": "accepted", "delivery": delivery.id}
    assert (delivery.external_id, delivery.event_type, delivery.status) == ("88f41318", "push", "pending")
    assert bytes(delivery.body) == body
    assert len(callbacks) == 1  # its processing is enqueued once the row is committed


def test_it_answers_200_to_a_redelivery_and_enqueues_nothing(
    client, source, django_capture_on_commit_callbacks
):
    body = fixture_bytes(PUSH)
    headers = github_headers(body, event="push", delivery="88f41318")
    first = post(client, URL, body, headers)
    with django_capture_on_commit_callbacks() as callbacks:
        again = post(client, URL, body, headers)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "delivery": first.json()["delivery"]}
    assert Delivery.objects.count() == 1
    assert callbacks == []


def test_it_refuses_a_bad_signature_and_stores_nothing(client, source):
    body = fixture_bytes(PUSH)
    response = post(client, URL, body, github_headers(body, event="push", delivery="1", secret="wrong"))
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    assert not Delivery.objects.exists()


def test_it_refuses_a_missing_signature(client, source):
    response = post(client, URL, b"{}", {"HTTP_X_GITHUB_EVENT": "push"})
    assert response.status_code == 401
    assert not Delivery.objects.exists()


def test_it_refuses_everything_for_a_source_without_a_secret(client):
    SourceFactory(kind=Source.Kind.GITHUB, name="gh-main", secret="")
    body = b"{}"
    response = post(client, URL, body, github_headers(body, event="ping", delivery="1", secret=""))
    assert response.status_code == 401
    assert "no secret" in response.json()["error"]
    assert not Delivery.objects.exists()


def test_it_answers_400_with_a_message_and_keeps_the_malformed_body(client, source):
    body = b'{"ref": "refs/heads/master", '
    response = post(client, URL, body, github_headers(body, event="push", delivery="broken-1"))
    assert response.status_code == 400
    assert response.json()["error"].startswith("the body is not valid JSON")
    delivery = Delivery.objects.get()
    assert (delivery.external_id, delivery.status) == ("broken-1", "failed")
    assert delivery.error.startswith("the body is not valid JSON")


def test_it_answers_413_to_a_body_over_the_limit(client, source, settings):
    settings.INGEST_MAX_BODY_BYTES = 1000
    body = fixture_bytes(PUSH)
    response = post(client, URL, body, github_headers(body, event="push", delivery="1"))
    assert response.status_code == 413
    assert not Delivery.objects.exists()


def test_it_answers_404_for_an_unknown_source(client, source):
    body = fixture_bytes(PUSH)
    response = post(client, "/webhooks/github/nope/", body, github_headers(body, event="push", delivery="1"))
    assert response.status_code == 404
    assert response.json()["error"] == "no enabled github source named 'nope'"


def test_it_answers_404_for_a_disabled_source(client):
    SourceFactory(kind=Source.Kind.GITHUB, name="gh-main", enabled=False)
    body = fixture_bytes(PUSH)
    response = post(client, URL, body, github_headers(body, event="push", delivery="1"))
    assert response.status_code == 404


def test_it_answers_404_for_a_source_of_another_kind(client):
    SourceFactory(kind=Source.Kind.PAGERDUTY, name="gh-main")
    body = fixture_bytes(PUSH)
    response = post(client, URL, body, github_headers(body, event="push", delivery="1"))
    assert response.status_code == 404


def test_it_accepts_an_unused_event_and_processing_marks_it_ignored(
    client, source, eager_tasks, django_capture_on_commit_callbacks
):
    body = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, URL, body, github_headers(body, event="ping", delivery="ping-1"))
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.status == "ignored"
    assert delivery.error == "GitHub event 'ping' is not used"


def test_it_does_not_need_a_login_or_a_csrf_token(source):
    from django.test import Client

    body = fixture_bytes(PUSH)
    client = Client(enforce_csrf_checks=True)
    response = post(client, URL, body, github_headers(body, event="push", delivery="1"))
    assert response.status_code == 202


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_cannot_store_the_delivery(client, source):
    """PagerDuty drops deliveries answered 4xx; our own failure must be a 5xx so that the sender retries."""
    body = fixture_bytes(PUSH)
    locked, release = threading.Event(), threading.Event()

    def hold_the_table():
        with connections["default"].cursor() as cursor:  # a separate connection in this thread
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {Delivery._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)
            cursor.execute("ROLLBACK")
        connections["default"].close()

    holder = threading.Thread(target=hold_the_table)
    holder.start()
    locked.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        response = post(client, URL, body, github_headers(body, event="push", delivery="1"))
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert not Delivery.objects.exists()


def test_it_answers_404_for_a_source_name_that_cannot_be_one(client, source):
    body = fixture_bytes(PUSH)
    response = post(
        client, "/webhooks/github/gh%00main/", body, github_headers(body, event="push", delivery="1")
    )
    assert response.status_code == 404


def test_it_stores_a_delivery_whose_fields_hold_nul_characters(client, source):
    """PostgreSQL cannot store NUL in text; a payload carrying one is still stored, without it."""
    body = b'{"zen": "x", "action": "created\\u0000"}'
    response = post(client, URL, body, github_headers(body, event="ping", delivery="nul-1"))
    assert response.status_code == 202
    assert Delivery.objects.get().event_type == "ping.created"


def test_it_answers_405_in_json_to_anything_but_post(client, source):
    response = client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"status": "error", "error": "webhooks are delivered with POST"}
