import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accountability.catalog.importers.backstage import CatalogParseError, entities_parse
from accountability.ingest.files import file_delivery_apply
from accountability.ingest.models import Source

SUFFIXES = {".yaml", ".yml", ".json"}


class Command(BaseCommand):
    help = (
        "Import Backstage catalog files (catalog-info.yaml with one or more documents, or catalog API JSON), "
        "all together as one snapshot, through the ingest path of the 'backstage-files' source."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files, or directories searched for .yaml/.yml/.json")

    def handle(self, *args, paths: list[str], **options):
        files: list[Path] = []
        for name in paths:
            path = Path(name)
            if path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{name}: no such file or directory")
        entities, unreadable = [], []
        for path in files:
            try:
                entities.extend(entities_parse(path.read_bytes()))
            except CatalogParseError as error:
                unreadable.append(path)
                self.stderr.write(f"{path}: {error}")
        if not entities:
            raise CommandError("no catalog entity found")
        body = json.dumps(entities, sort_keys=True, separators=(",", ":")).encode()
        delivery, created = file_delivery_apply(
            kind=Source.Kind.BACKSTAGE,
            source_name="backstage-files",
            event_type="catalog.snapshot",
            headers={"content-type": "application/json"},
            body=body,
        )
        outcome = delivery.status if created else f"already imported ({delivery.status})"
        read = len(files) - len(unreadable)
        self.stdout.write(f"{len(entities)} entities from {read} file(s): delivery {delivery.id} {outcome}")
        if delivery.error:
            self.stderr.write(delivery.error)
        if unreadable or delivery.status == "failed":
            raise CommandError(
                f"{len(unreadable)} file(s) could not be read" if unreadable else delivery.error
            )
