from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accountability.catalog.importers.codeowners import codeowners_parse
from accountability.ingest.files import file_delivery_apply
from accountability.ingest.models import Source
from accountability.ingest.sources.codeowners import REPOSITORY_HEADER


class Command(BaseCommand):
    help = "Import a CODEOWNERS file as the path owners of a repository (replacing its rules)."

    def add_arguments(self, parser):
        parser.add_argument("--repo", required=True, help="owner/name")
        parser.add_argument("path", help="The CODEOWNERS file")

    def handle(self, *args, repo: str, path: str, **options):
        if repo.count("/") != 1:
            raise CommandError("--repo must be owner/name")
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        body = file.read_bytes()
        try:
            rules, problems = codeowners_parse(body.decode())
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text") from None
        for problem in problems:
            self.stderr.write(f"{path}:{problem.line}: skipped, {problem.message}")
        delivery, created = file_delivery_apply(
            kind=Source.Kind.CODEOWNERS,
            source_name="codeowners-files",
            event_type="codeowners.file",
            headers={REPOSITORY_HEADER: repo},
            body=body,
            scope=repo.lower(),
        )
        if delivery.status == "failed":
            raise CommandError(delivery.error)
        outcome = "imported" if created else "already imported"
        self.stdout.write(f"{repo}: {len(rules)} rule(s) {outcome} (delivery {delivery.id})")
