"""Blast radius on small hand-built organisations whose answers are worked out by hand."""

from datetime import timedelta

import pytest

from accountability.analysis.blast_radius import blast_radius_for_change, blast_radius_refresh
from accountability.catalog.models import Dependency, Service
from tests.factories import ChangeFactory, DependencyFactory, OnCallShiftFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def depends(a, b, kind=Dependency.Kind.SYNC, criticality=Dependency.Criticality.HARD):
    return DependencyFactory(from_service=a, to_service=b, kind=kind, criticality=criticality)


def test_it_walks_dependents_transitively_with_depth_path_and_weight():
    # web → api → db (web depends on api, api depends on db); a change to db breaks api, then web.
    db = ServiceFactory(slug="db", tier=1)
    api = ServiceFactory(slug="api", tier=2)
    web = ServiceFactory(slug="web", tier=3, customer_facing=True)
    depends(api, db)
    depends(web, api, kind=Dependency.Kind.ASYNC)
    change = ChangeFactory(service=db)

    radius = blast_radius_refresh(change=change)

    by_slug = {item["slug"]: item for item in radius.impacted}
    assert by_slug["db"] == {**by_slug["db"], "depth": 0, "path": ["db"], "weight": 1.0}
    # tier 2 (0.5) * one sync/hard edge (0.5)
    assert by_slug["api"]["depth"] == 1
    assert by_slug["api"]["path"] == ["db", "api"]
    assert by_slug["api"]["weight"] == 0.25
    # tier 3 (0.25) * customer-facing (2) * sync (0.5) * async (0.25)
    assert by_slug["web"]["path"] == ["db", "api", "web"]
    assert by_slug["web"]["weight"] == 0.0625
    assert radius.score == 1.3125
    assert radius.impacted_count == 3
    assert radius.unknown is False


def test_it_terminates_on_cycles_and_ignores_a_service_depending_on_itself():
    # a → b → c → a is a cycle, and b depends on itself.
    a = ServiceFactory(slug="a", tier=4)
    b = ServiceFactory(slug="b", tier=4)
    c = ServiceFactory(slug="c", tier=4)
    depends(a, b)
    depends(b, c)
    depends(c, a)
    depends(b, b)

    result = blast_radius_for_change(change=ChangeFactory(service=b))

    # Dependents of b: a (depth 1), then c (depends on a, depth 2); b itself once at depth 0.
    assert [(item.service.slug, item.depth, item.path) for item in result.impacted] == [
        ("b", 0, (b.id,)),
        ("a", 1, (b.id, a.id)),
        ("c", 2, (b.id, a.id, c.id)),
    ]
    assert result.score == pytest.approx(0.1 + 0.05 + 0.025)


def test_it_keeps_the_strongest_of_the_shortest_paths():
    # top depends on both left (soft) and right (hard); both depend on base.
    base = ServiceFactory(slug="base", tier=4)
    left = ServiceFactory(slug="left", tier=4)
    right = ServiceFactory(slug="right", tier=4)
    top = ServiceFactory(slug="top", tier=1)
    depends(left, base)
    depends(right, base)
    depends(top, left, criticality=Dependency.Criticality.SOFT)
    depends(top, right)

    result = blast_radius_for_change(change=ChangeFactory(service=base))

    top_item = next(item for item in result.impacted if item.service.slug == "top")
    assert top_item.depth == 2
    assert top_item.path == (base.id, right.id, top.id)
    assert top_item.weight == pytest.approx(1.0 * 0.5 * 0.5)


def test_it_flags_a_service_without_dependency_data_as_unknown_not_zero():
    lonely = ServiceFactory(slug="lonely", dependencies_known=False)
    known_leaf = ServiceFactory(slug="leaf", dependencies_known=True)

    assert blast_radius_refresh(change=ChangeFactory(service=lonely)).unknown is True
    assert blast_radius_refresh(change=ChangeFactory(service=known_leaf)).unknown is False


def test_it_widens_a_schema_migration_to_every_user_of_the_shared_datastore():
    datastore = ServiceFactory(slug="orders-db", kind=Service.Kind.DATASTORE, tier=1)
    writer = ServiceFactory(slug="writer", tier=2)
    reader = ServiceFactory(slug="reader", tier=2)
    report = ServiceFactory(slug="report", tier=3)
    depends(writer, datastore, kind=Dependency.Kind.DATASTORE)
    depends(reader, datastore, kind=Dependency.Kind.DATASTORE)
    depends(report, reader)

    plain = blast_radius_refresh(change=ChangeFactory(service=writer))
    migration = blast_radius_refresh(change=ChangeFactory(service=writer, touches_schema_migration=True))

    assert [item["slug"] for item in plain.impacted] == ["writer"]
    by_slug = {item["slug"]: item for item in migration.impacted}
    assert set(by_slug) == {"writer", "reader", "report"}
    assert by_slug["reader"]["path"] == ["writer", "orders-db", "reader"]
    assert by_slug["reader"]["via_datastore"] == "orders-db"
    assert by_slug["reader"]["depth"] == 1
    assert by_slug["report"]["depth"] == 2


def test_it_names_owning_teams_and_who_is_on_call_now_once_despite_overlapping_shifts():
    db = ServiceFactory(slug="db")
    api = ServiceFactory(slug="api")
    depends(api, db)
    first = OnCallShiftFactory(team=api.owner_team)
    # The same person again, overlapping (a hand-over imported twice), and someone off shift.
    OnCallShiftFactory(
        team=api.owner_team,
        person=first.person,
        start=first.start + timedelta(minutes=30),
        end=first.end.replace(year=2099),
    )
    OnCallShiftFactory(
        team=api.owner_team, start=first.start.replace(year=2001), end=first.end.replace(year=2001)
    )

    radius = blast_radius_refresh(change=ChangeFactory(service=db))

    assert {team["slug"] for team in radius.teams} == {db.owner_team.slug, api.owner_team.slug}
    assert [(entry["name"], entry["until"][:4]) for entry in radius.on_call] == [(first.person.name, "2099")]


def test_it_sees_a_new_dependency_without_a_restart():
    db = ServiceFactory(slug="db")
    api = ServiceFactory(slug="api")
    change = ChangeFactory(service=db)
    assert blast_radius_refresh(change=change).impacted_count == 1

    depends(api, db)

    assert blast_radius_refresh(change=change).impacted_count == 2


def test_it_sees_a_renamed_team_without_a_restart():
    db = ServiceFactory(slug="db")
    change = ChangeFactory(service=db)
    assert blast_radius_refresh(change=change).teams[0]["name"] == db.owner_team.name

    db.owner_team.name = "Storage Guild"
    db.owner_team.save()

    assert blast_radius_refresh(change=change).teams[0]["name"] == "Storage Guild"
