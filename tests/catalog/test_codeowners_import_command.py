from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accountability.catalog.importers.codeowners import path_owners_for
from accountability.ingest.models import Delivery

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codeowners"


def run(repo: str, path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_codeowners", "--repo", repo, str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_through_a_delivery_and_reports_skipped_lines():
    out, err = run("hashicorp/terraform", FIXTURES / "hashicorp-terraform.CODEOWNERS")

    assert out.startswith("hashicorp/terraform: 11 rule(s) imported")
    assert err.count("skipped, invalid owner 'Unmaintained'") == 9
    assert Delivery.objects.get().source.name == "codeowners-files"
    assert path_owners_for(repository="hashicorp/terraform", path="backend/remote-state/s3/x.go") == [
        "@hashicorp/terraform-aws"
    ]


def test_it_imports_the_same_file_for_two_repositories():
    run("acme/one", FIXTURES / "cdevents-spec.CODEOWNERS")
    run("acme/two", FIXTURES / "cdevents-spec.CODEOWNERS")

    assert path_owners_for(repository="acme/two", path="x") == ["@cdevents/spec-maintainers"]
    assert Delivery.objects.count() == 2


def test_it_refuses_a_bad_repository_name():
    with pytest.raises(CommandError, match="owner/name"):
        run("terraform", FIXTURES / "hashicorp-terraform.CODEOWNERS")
