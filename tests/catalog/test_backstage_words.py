"""The Backstage importer keeps what an entity says about its tier and its dependencies (issue 15: every
service landed at tier 3, every `dependsOn` became a sync, hard edge)."""

import pytest

from accountability.catalog.importers.backstage import catalog_import
from accountability.catalog.models import Dependency, Service

pytestmark = pytest.mark.django_db


def component(name: str, *, depends_on=(), **metadata) -> dict:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name, **metadata},
        "spec": {
            "type": "service",
            "owner": "team-a",
            "lifecycle": "production",
            "dependsOn": list(depends_on),
        },
    }


def tiers() -> dict[str, int]:
    return dict(Service.objects.values_list("slug", "tier"))


def test_it_reads_the_tier_from_the_annotation_a_label_or_a_tag():
    result = catalog_import(
        entities=[
            component("checkout", annotations={"accountability.io/tier": "1"}),
            component("search", labels={"tier": "tier-2"}),
            component("emails", tags=["java", "tier4"]),
            component("wiki"),
        ]
    )

    assert tiers() == {"checkout": 1, "search": 2, "emails": 4, "wiki": 3}
    assert result.problems == []


def test_it_reports_a_tier_it_cannot_read_instead_of_guessing():
    result = catalog_import(entities=[component("checkout", labels={"tier": "gold"})])

    assert tiers() == {"checkout": 3}
    assert result.problems == ["checkout: tier 'gold' is not 1 to 4"]


def test_it_reads_the_kind_and_criticality_of_dependencies_from_the_annotation():
    annotations = {"accountability.io/dependencies": "events=async/soft, ledger=sync, bogus=teleport"}
    result = catalog_import(
        entities=[
            component(
                "checkout",
                depends_on=["component:events", "component:ledger", "component:fx"],
                annotations=annotations,
            ),
            component("events"),
            component("ledger"),
            component("fx"),
        ]
    )

    edges = set(
        Dependency.objects.values_list("from_service__slug", "to_service__slug", "kind", "criticality")
    )
    assert edges == {
        ("checkout", "events", "async", "soft"),
        ("checkout", "ledger", "sync", "hard"),
        ("checkout", "fx", "sync", "hard"),
    }
    assert result.problems == ["checkout: accountability.io/dependencies: cannot read 'bogus=teleport'"]


def test_it_maps_pagerduty_services_of_other_environments():
    annotations = {
        "pagerduty.com/service-id": "PPROD1",
        "accountability.io/pagerduty-services": "PSTG1=staging, =nowhere",
    }
    result = catalog_import(entities=[component("checkout", annotations=annotations)])

    checkout = Service.objects.get(slug="checkout")
    assert (checkout.pagerduty_service_id, checkout.pagerduty_environments) == (
        "PPROD1",
        {"PSTG1": "staging"},
    )
    assert result.problems == ["checkout: accountability.io/pagerduty-services: cannot read '=nowhere'"]
