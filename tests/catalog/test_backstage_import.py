"""Every Backstage sample through the catalog importer."""

import json
from pathlib import Path

import pytest

from accountability.catalog.importers.backstage import CatalogParseError, catalog_import, entities_parse
from accountability.catalog.models import Dependency, Membership, Person, Service, Team
from tests.factories import DependencyFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "backstage"
EXAMPLES = FIXTURES / "backstage-catalog-model-examples"


def load(*paths: Path) -> list[dict]:
    return [entity for path in paths for entity in entities_parse(path.read_text())]


def import_examples():
    return catalog_import(entities=load(*sorted(EXAMPLES.rglob("*.yaml"))))


def edges() -> set[tuple[str, str, str]]:
    return set(Dependency.objects.values_list("from_service__slug", "to_service__slug", "kind"))


def test_it_imports_the_catalog_model_examples():
    result = import_examples()

    services = {s.slug: s for s in Service.objects.select_related("owner_team", "owner_of_record")}
    assert set(services) == {
        "artist-lookup",
        "playback-order",
        "wayback-archive",
        "wayback-archive-ingestion",
        "wayback-archive-storage",
        "wayback-search",
        "www-artist",
        "artists-db",
    }
    lookup = services["artist-lookup"]
    assert (lookup.owner_team.slug, lookup.lifecycle, lookup.system) == (
        "team-a",
        "experimental",
        "Artist Engagement Portal",
    )
    assert lookup.dependencies_known is True
    assert (services["artists-db"].kind, services["www-artist"].kind) == ("datastore", "website")
    # playback-order is owned by a user: they become its owner of record, their team its owning team.
    assert services["playback-order"].owner_of_record.email == "guest@example.com"
    assert services["playback-order"].owner_team.slug == "team-a"
    # team-d is only named as an owner: it exists so that the ownership is visible.
    assert services["wayback-archive-ingestion"].owner_team.slug == "team-d"
    assert edges() == {
        ("wayback-search", "wayback-archive", "sync"),  # consumesApis wayback-archive, provided by it
        ("www-artist", "artist-lookup", "sync"),  # consumesApis names a component directly
        ("wayback-archive", "wayback-archive-ingestion", "sync"),  # subcomponentOf
        ("wayback-archive", "wayback-archive-storage", "sync"),
    }
    assert result.services == 8


def test_it_imports_groups_and_users_with_memberships():
    catalog_import(entities=load(EXAMPLES / "acme" / "team-a-group.yaml"))

    team = Team.objects.get(slug="team-a")
    assert (team.name, team.email, team.parent.slug) == ("team-a", "team-a@example.com", "backstage")
    janelle = Person.objects.get(email="janelle-dawe@example.com")
    assert janelle.name == "Janelle Dawe"
    assert Person.objects.get(email="breanna-davison@example.com").name == "breanna.davison"
    # "guest" is declared twice (two namespaces) with one e-mail: one person.
    assert Person.objects.filter(email="guest@example.com").count() == 1
    assert set(Membership.objects.filter(team=team).values_list("person__name", flat=True)) == {
        "breanna.davison",
        "Janelle Dawe",
        "Nigel Manning",
        "Guest User",
    }


def test_it_is_idempotent():
    import_examples()
    before = (
        list(Service.objects.order_by("slug").values()),
        sorted(edges()),
        Team.objects.count(),
        Person.objects.count(),
        Membership.objects.count(),
    )

    import_examples()

    after = (
        list(Service.objects.order_by("slug").values()),
        sorted(edges()),
        Team.objects.count(),
        Person.objects.count(),
        Membership.objects.count(),
    )
    assert after == before


def test_it_replaces_backstage_edges_and_keeps_hand_entered_ones():
    import_examples()
    search = Service.objects.get(slug="wayback-search")
    manual = DependencyFactory(
        from_service=search, to_service=ServiceFactory(slug="auth"), record_source="manual"
    )
    entities = load(*sorted(EXAMPLES.rglob("*.yaml")))
    for entity in entities:
        if entity["metadata"]["name"] == "wayback-search" and entity["kind"] == "Component":
            del entity["spec"]["consumesApis"]

    catalog_import(entities=entities)

    assert set(Dependency.objects.filter(from_service=search).values_list("to_service__slug", flat=True)) == {
        "auth"
    }
    assert Dependency.objects.filter(pk=manual.pk).exists()


def test_it_maps_depends_on_a_database_resource_to_a_datastore_edge():
    component = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": "artist-api",
            "annotations": {
                "github.com/project-slug": "acme/artist-api",
                "pagerduty.com/service-id": "PX1",
            },
            "links": [{"url": "https://wiki.example.com/artist-api", "title": "Runbook"}],
        },
        "spec": {
            "type": "service",
            "owner": "team-a",
            "lifecycle": "production",
            "dependsOn": ["resource:artists-db"],
        },
    }
    entities = [*load(EXAMPLES / "resources" / "artists-db-resource.yaml"), component]

    catalog_import(entities=entities)

    assert edges() == {("artist-api", "artists-db", "datastore")}
    api = Service.objects.get(slug="artist-api")
    assert (api.repositories, api.pagerduty_service_id, api.runbook_url) == (
        ["acme/artist-api"],
        "PX1",
        "https://wiki.example.com/artist-api",
    )


def test_it_imports_the_backstage_demo_catalog():
    result = catalog_import(entities=load(*sorted((FIXTURES / "backstage-demo").glob("*.yaml"))))

    demo = Service.objects.get(slug="backstage-demo")
    assert (demo.kind, demo.lifecycle, demo.repositories) == ("website", "experimental", ["backstage/demo"])
    assert demo.owner_team.slug == "backstage-maintainers"
    assert result.problems == [
        "backstage-demo consumes API demo-graphql, which no imported component provides"
    ]


def test_it_imports_the_create_app_examples():
    catalog_import(
        entities=load(
            FIXTURES / "create-app-0.9.2" / "examples-org.yaml",
            FIXTURES / "create-app-0.9.2" / "examples-entities.yaml",
        )
    )

    website = Service.objects.get(slug="example-website")
    assert (website.owner_team.slug, website.system) == ("guests", "examples")
    assert Membership.objects.filter(team__slug="guests", person__name="guest").exists()


def test_it_imports_a_real_world_catalog_file_with_many_links_and_custom_fields():
    result = catalog_import(entities=load(FIXTURES / "real-world" / "pagerduty-api-schema.catalog-info.yaml"))

    service = Service.objects.get(slug="api-schema")
    assert (service.repositories, service.kind, service.lifecycle) == (
        ["pagerduty/api-schema"],
        "service",
        "production",
    )
    assert service.owner_team.slug == "dev-ecosystem-and-public-apis"
    assert service.runbook_url == ""
    assert result.problems == []


def test_it_skips_a_template_entity_with_an_unrendered_name():
    entities = load(FIXTURES / "create-app-0.9.2" / "examples-template-content-catalog-info.yaml")

    result = catalog_import(entities=entities)

    assert not Service.objects.exists()
    assert result.problems == ["skipped Component with an invalid name '${{ values.name | dump }}'"]


def test_it_refuses_an_unrendered_handlebars_file():
    with pytest.raises(CatalogParseError):
        entities_parse((FIXTURES / "create-app-0.9.2" / "default-app-catalog-info.yaml.hbs").read_text())


def test_it_reads_the_catalog_api_json():
    entities = load(EXAMPLES / "components" / "wayback-search-component.yaml")

    assert entities_parse(json.dumps(entities)) == entities
    assert entities_parse(json.dumps({"items": entities, "pageInfo": {}})) == entities


@pytest.mark.parametrize("text", ["key: [unclosed", "{not json", b"\xff\xfe"])
def test_it_refuses_what_is_not_a_catalog(text):
    with pytest.raises(CatalogParseError):
        entities_parse(text)


@pytest.mark.parametrize(
    "entity", [None, "text", {"kind": "Component"}, {"kind": "Component", "metadata": {"name": "a b"}}]
)
def test_it_skips_malformed_entities(entity):
    result = catalog_import(entities=[entity])

    assert len(result.problems) == 1
    assert not Service.objects.exists()


def test_it_reports_a_handle_that_belongs_to_someone_else_instead_of_failing():
    PersonFactory(email="new@example.com", github_login="")
    PersonFactory(email="someone@example.com", github_login="octo")
    ServiceFactory(slug="other", pagerduty_service_id="PTAKEN")
    user = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": "newcomer", "annotations": {"github.com/user-login": "octo"}},
        "spec": {"profile": {"displayName": "New Comer", "email": "new@example.com"}},
    }
    component = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "svc", "annotations": {"pagerduty.com/service-id": "PTAKEN"}},
        "spec": {"type": "service", "owner": "team-a"},
    }

    result = catalog_import(entities=[user, component])

    assert Person.objects.get(name="New Comer").github_login == ""
    assert Service.objects.get(slug="svc").pagerduty_service_id == ""
    assert result.problems == [
        "user newcomer: GitHub login octo belongs to another person",
        "svc: PagerDuty service PTAKEN is another service's",
    ]


def test_a_group_annotated_with_its_slack_channel_gives_the_team_its_channel():
    group = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "payments", "annotations": {"slack.com/channel": "#payments-oncall"}},
        "spec": {"type": "team", "profile": {"email": "payments@example.com"}},
    }
    catalog_import(entities=[group])
    team = Team.objects.get()
    assert (team.chat_channel, team.email) == ("payments-oncall", "payments@example.com")

    # A later snapshot without the annotation keeps the channel someone set.
    del group["metadata"]["annotations"]
    catalog_import(entities=[group])
    team.refresh_from_db()
    assert team.chat_channel == "payments-oncall"
