"""Receivers keep a webhook source a few seconds per process; what a kept copy can and cannot do."""

import time

import pytest

from accountability.ingest import receiving
from accountability.ingest.models import Delivery, Source
from tests.factories import SourceFactory
from tests.ingest.conftest import fixture_bytes, github_headers, post

pytestmark = pytest.mark.django_db

URL = "/webhooks/github/gh-main/"
BODY = fixture_bytes("github/push/real-push-to-master.ailisp-reallyfastci.json")


@pytest.fixture
def source():
    return SourceFactory(kind=Source.Kind.GITHUB, name="gh-main", secret="old secret")


def send(client, delivery: str, secret: str) -> int:
    headers = github_headers(BODY, event="push", delivery=delivery, secret=secret)
    return post(client, URL, BODY, headers).status_code


def test_a_secret_changed_by_another_process_is_accepted_at_once(client, source):
    assert send(client, "1", "old secret") == 202  # the source is now kept by this process
    # Another process (the admin's) rotates the secret: nothing here is told.
    Source.objects.filter(id=source.id).update(secret="new secret")
    assert send(client, "2", "new secret") == 202
    assert send(client, "3", "wrong secret") == 401
    assert sorted(Delivery.objects.values_list("external_id", flat=True)) == ["1", "2"]


def test_a_source_disabled_in_this_process_refuses_at_once(client, source):
    assert send(client, "1", "old secret") == 202
    source.enabled = False
    source.save()
    assert send(client, "2", "old secret") == 404


def test_a_source_disabled_by_another_process_refuses_once_the_kept_copy_expires(client, source, monkeypatch):
    assert send(client, "1", "old secret") == 202
    Source.objects.filter(id=source.id).update(enabled=False)
    assert send(client, "2", "old secret") == 202  # within SOURCE_CACHE_SECONDS: still kept
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + receiving.SOURCE_CACHE_SECONDS + 1)
    assert send(client, "3", "old secret") == 404
