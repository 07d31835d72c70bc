from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accountability.catalog.models import Service
from accountability.ingest.models import Delivery

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "backstage"


def run(*paths) -> str:
    out = StringIO()
    call_command("import_catalog", *map(str, paths), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_imports_a_directory_of_catalog_files_as_one_delivery():
    output = run(FIXTURES / "backstage-catalog-model-examples")

    delivery = Delivery.objects.get()
    assert (delivery.source.name, delivery.source.kind, delivery.status) == (
        "backstage-files",
        "backstage",
        "processed",
    )
    assert Service.objects.count() == 8
    assert output.startswith("18 entities from 13 file(s)")


def test_it_does_not_apply_the_same_files_twice():
    run(FIXTURES / "backstage-demo" / "catalog-info.yaml")

    output = run(FIXTURES / "backstage-demo" / "catalog-info.yaml")

    assert "already imported (processed)" in output
    assert Delivery.objects.count() == 1


def test_it_imports_what_it_can_read_and_fails_for_the_rest():
    with pytest.raises(CommandError, match="1 file"):
        run(
            FIXTURES / "create-app-0.9.2" / "examples-org.yaml",
            FIXTURES / "create-app-0.9.2" / "default-app-catalog-info.yaml.hbs",
        )

    assert Delivery.objects.get().status == "processed"


def test_it_refuses_a_missing_path():
    with pytest.raises(CommandError, match="no such file"):
        run("/nonexistent/catalog-info.yaml")
