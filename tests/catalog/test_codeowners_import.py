from pathlib import Path

import pytest

from accountability.catalog.importers.codeowners import codeowners_import, path_owners_for
from accountability.catalog.models import PathOwner
from tests.factories import PathOwnerFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codeowners"


def test_it_stores_the_rules_of_a_file_in_line_order():
    stored, problems = codeowners_import(
        repository="nodejs/node", text=(FIXTURES / "nodejs-node.CODEOWNERS").read_text()
    )

    assert (stored, problems) == (151, [])
    first = PathOwner.objects.filter(repository="nodejs/node").order_by("line").first()
    assert (first.pattern, first.owners, first.record_source) == (
        "/.github/CODEOWNERS",
        ["@nodejs/tsc"],
        "codeowners",
    )
    assert path_owners_for(repository="nodejs/node", path="lib/_stream_duplex.js") == ["@nodejs/streams"]


def test_it_replaces_the_rules_of_the_repository_only():
    PathOwnerFactory(repository="acme/payments", pattern="/old/", owners=["@acme/old"], line=1)
    PathOwnerFactory(repository="acme/other", pattern="*", owners=["@acme/other"], line=1)

    codeowners_import(repository="acme/payments", text="* @acme/payments\n")
    codeowners_import(repository="acme/payments", text="* @acme/payments\n")

    assert list(PathOwner.objects.filter(repository="acme/payments").values_list("pattern", "owners")) == [
        ("*", ["@acme/payments"])
    ]
    assert PathOwner.objects.filter(repository="acme/other").count() == 1


def test_it_answers_nothing_for_a_repository_without_rules():
    assert path_owners_for(repository="acme/unknown", path="README.md") == []


@pytest.mark.parametrize("path", sorted(p.name for p in FIXTURES.glob("*.CODEOWNERS")))
def test_it_imports_every_sample_file(path):
    stored, _ = codeowners_import(repository=f"sample/{path}", text=(FIXTURES / path).read_text())

    assert stored == PathOwner.objects.filter(repository=f"sample/{path}").count() > 0
