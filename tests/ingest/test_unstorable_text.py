"""PostgreSQL cannot store a NUL character or a lone surrogate; a source sending one still gets its data in.

One function (`accountability.storable`) cleans what every importer and adapter parsed, at its entrance.
"""

import json

import pytest

from accountability.catalog.importers.backstage import catalog_import
from accountability.catalog.importers.codeowners import codeowners_import
from accountability.catalog.models import PathOwner, Service, Team
from accountability.changes.models import Change
from accountability.ingest.models import Delivery, Source
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver_github, fixture_json

pytestmark = pytest.mark.django_db


def test_a_merged_pull_request_whose_title_holds_nul_and_a_lone_surrogate_becomes_a_change():
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    payload = fixture_json("github/pull_request/real-closed-merged.ailisp-reallyfastci.json")
    payload["pull_request"]["title"] = "Fix\u0000 the \ud800 parser"
    payload["pull_request"]["labels"] = [{"name": "ai-\u0000assisted"}]
    body = json.dumps(payload).encode()  # ensure_ascii keeps both as \u escapes, as a sender would write them

    delivery = deliver_github(
        SourceFactory(kind=Source.Kind.GITHUB), "", event="pull_request", delivery_id="nul-pr", body=body
    )

    assert (delivery.status, delivery.error) == (Delivery.Status.PROCESSED, "")
    change = Change.objects.get()
    assert change.title == "Fix the \ufffd parser"
    assert change.labels == ["ai-assisted"]


def test_a_catalog_entity_with_nul_in_its_fields_is_imported_without_it():
    entities = [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Group",
            "metadata": {"name": "team-a", "title": "Team\u0000 A"},
            "spec": {"type": "team"},
        },
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "svc-a", "title": "Service\u0000 A", "annotations": {"x\u0000": "\ud83d"}},
            "spec": {"type": "service", "owner": "group:team-a", "lifecycle": "production\u0000"},
        },
    ]

    result = catalog_import(entities=entities)

    assert result.problems == []
    service = Service.objects.get(slug="svc-a")
    assert service.name == "Service A"
    assert service.owner_team == Team.objects.get(name="Team A")


def test_a_codeowners_file_with_nul_characters_keeps_its_rules():
    stored, problems = codeowners_import(
        repository="acme/api", text="/src/\u0000 @acme/team-a\n*.md @docs\u0000\n"
    )

    assert (stored, problems) == (2, [])
    assert sorted(PathOwner.objects.values_list("pattern", flat=True)) == ["*.md", "/src/"]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode(), id="upper-case escapes"),
        pytest.param(lambda text: text.encode("utf-16"), id="utf-16 body"),
    ],
)
def test_escapes_are_found_however_they_are_written(encode):
    """The parser walks the document only when the body can hold such an escape; these must be walked."""
    ServiceFactory(slug="buildconfig", repositories=["ailisp/gcbapp-buildconfig-example"])
    payload = fixture_json("github/pull_request/real-closed-merged.ailisp-reallyfastci.json")
    payload["pull_request"]["title"] = "Fix\u0000 the \udbff parser"
    text = json.dumps(payload).replace("\\udbff", "\\uDBFF")

    delivery = deliver_github(
        SourceFactory(kind=Source.Kind.GITHUB), "", event="pull_request", delivery_id="nul", body=encode(text)
    )

    assert (delivery.status, delivery.error) == (Delivery.Status.PROCESSED, "")
    assert Change.objects.get().title == "Fix the \ufffd parser"
