"""One registry of sources (ingest/sources/__init__.py): every kind has a package with the same contract, and
the receiver routes and the pull runner follow the registry, so adding a source is a folder and a line."""

from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

import accountability.ingest.sources as sources_package
from accountability.ingest.models import Source
from accountability.ingest.pull_runner import sources_due
from accountability.ingest.sources import PULLERS, SOURCES, WEBHOOK_KINDS
from tests.factories import SourceFactory

CONTRACT = ("verify", "identify", "parse", "apply")


def test_every_kind_has_a_source_package():
    assert set(SOURCES) == set(Source.Kind.values)


def test_every_folder_under_sources_is_registered():
    folders = {
        path.name
        for path in Path(sources_package.__file__).parent.iterdir()
        if (path / "__init__.py").exists()
    }
    assert folders == {module.__name__.rsplit(".", 1)[-1] for module in SOURCES.values()}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_every_source_keeps_the_contract(kind):
    module = SOURCES[kind]
    for name in CONTRACT:
        assert callable(getattr(module, name)), f"{module.__name__} has no {name}"
    assert module.pull is None or callable(module.pull)
    assert isinstance(module.RECEIVES_WEBHOOKS, bool)


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_a_receiver_route_exists_exactly_for_the_webhook_sources(kind):
    try:
        reverse(f"ingest:receive-{kind}", kwargs={"name": "x"})
        routed = True
    except NoReverseMatch:
        routed = False
    assert routed == (kind in WEBHOOK_KINDS) == SOURCES[kind].RECEIVES_WEBHOOKS


@pytest.mark.django_db
def test_the_pull_runner_schedules_only_the_sources_that_pull():
    scheduled = {
        kind: SourceFactory(kind=kind, name=f"every-{kind}", pull_every_minutes=5).pk for kind in SOURCES
    }
    due = set(sources_due())
    assert {kind for kind, pk in scheduled.items() if pk in due} == set(PULLERS)
    assert set(PULLERS) == {kind for kind, module in SOURCES.items() if module.pull is not None}
