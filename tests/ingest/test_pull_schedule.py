from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accountability.ingest.models import Source
from accountability.ingest.pull_runner import source_pull, sources_due
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def test_it_finds_the_sources_due_for_a_pull():
    now = timezone.now()
    never = SourceFactory(kind=Source.Kind.GITHUB, pull_every_minutes=15)
    due = SourceFactory(
        kind=Source.Kind.PAGERDUTY, pull_every_minutes=5, last_success_at=now - timedelta(minutes=6)
    )
    failed_long_ago = SourceFactory(
        kind=Source.Kind.BACKSTAGE, pull_every_minutes=60, last_error_at=now - timedelta(minutes=61)
    )
    SourceFactory(
        kind=Source.Kind.PAGERDUTY, pull_every_minutes=5, last_success_at=now - timedelta(minutes=2)
    )
    SourceFactory(kind=Source.Kind.GITHUB, pull_every_minutes=None)  # push only
    SourceFactory(kind=Source.Kind.GITHUB, pull_every_minutes=5, enabled=False)
    SourceFactory(kind=Source.Kind.CDEVENTS, pull_every_minutes=5)  # nothing to pull from

    assert sorted(sources_due(now=now)) == sorted([never.pk, due.pk, failed_long_ago.pk])


def test_it_does_not_run_a_source_whose_previous_run_holds_the_lock():
    source = SourceFactory(kind=Source.Kind.GITHUB, pull_every_minutes=5, config={})
    cache.add(f"pull-lock:{source.pk}", "1", timeout=60)
    try:
        assert source_pull(source_id=source.pk) is None
    finally:
        cache.delete(f"pull-lock:{source.pk}")

    source.refresh_from_db()
    assert (source.last_error, source.last_error_at) == ("", None)


def test_it_does_not_run_a_disabled_source():
    source = SourceFactory(kind=Source.Kind.GITHUB, enabled=False, config={})

    assert source_pull(source_id=source.pk) is None
    source.refresh_from_db()
    assert source.last_error == ""
