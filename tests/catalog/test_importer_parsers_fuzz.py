"""Catalog parsers: Backstage catalog files raise only CatalogParseError, CODEOWNERS files never raise
(unreadable lines become problems), whatever the text: random, random YAML, real files with lines mangled."""

import yaml
from hypothesis import given
from hypothesis import strategies as st

from accountability.catalog.importers.backstage import CatalogParseError, entities_parse
from accountability.catalog.importers.codeowners import codeowners_parse
from tests.strategies import FIXTURES, FUZZ, json_values, mutated_text

CATALOGS = [path.read_text() for path in sorted((FIXTURES / "backstage").rglob("*.yaml"))]
CODEOWNERS = [path.read_text() for path in sorted((FIXTURES / "codeowners").glob("*.CODEOWNERS"))]


@FUZZ
@given(
    text=st.text(max_size=400)
    | mutated_text(CATALOGS)
    | json_values.map(lambda value: yaml.safe_dump(value))
    | st.binary(max_size=200)
)
def test_it_parses_any_catalog_file_or_raises_its_error(text):
    try:
        entities = entities_parse(text)
    except CatalogParseError:
        return
    assert isinstance(entities, list)


@FUZZ
@given(text=st.text(max_size=400) | mutated_text(CODEOWNERS))
def test_it_parses_any_codeowners_file(text):
    rules, problems = codeowners_parse(text)
    assert isinstance(rules, list)
    assert isinstance(problems, list)
