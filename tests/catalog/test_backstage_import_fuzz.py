"""A catalog comes from outside: whatever an entity holds, the import skips or reports it, never crashes."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountability.catalog.importers.backstage import CatalogParseError, catalog_import, entities_parse

pytestmark = pytest.mark.django_db

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
names = st.sampled_from(["svc-a", "svc-b", "team-a", "db", "api-x", "user:guest", "group:team-a", "a/b"])
spec_keys = st.sampled_from(
    [
        "type",
        "owner",
        "lifecycle",
        "system",
        "dependsOn",
        "consumesApis",
        "providesApis",
        "subcomponentOf",
        "memberOf",
        "parent",
        "profile",
        "children",
    ]
)
entities = st.fixed_dictionaries(
    {
        "apiVersion": st.just("backstage.io/v1alpha1"),
        "kind": st.sampled_from(
            ["Component", "Resource", "API", "Group", "User", "System", "Domain", "Thing"]
        ),
        "metadata": st.fixed_dictionaries(
            {"name": names},
            optional={
                "namespace": st.sampled_from(["default", "other"]) | values,
                "title": values,
                "annotations": values,
                "links": values,
            },
        ),
        "spec": st.dictionaries(spec_keys, names | st.lists(names, max_size=3) | values, max_size=6),
    }
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalog=st.lists(entities | values, max_size=6))
def test_it_never_crashes_on_odd_entities(catalog):
    result = catalog_import(entities=catalog)

    # What could not be used is reported in words, one problem per skipped entity or reference.
    assert all(isinstance(problem, str) and problem for problem in result.problems)
    skipped = [entity for entity in catalog if not isinstance(entity, dict)]
    assert len(result.problems) >= len(skipped)


@settings(max_examples=200)
@given(text=st.text(max_size=200) | st.binary(max_size=100))
def test_entities_parse_reads_or_refuses(text):
    # Any exception but CatalogParseError escapes and fails the test.
    with contextlib.suppress(CatalogParseError):
        assert isinstance(entities_parse(text), list)
