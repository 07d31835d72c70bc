from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accountability.ingest.backfill import BackfillError, deliveries_backfill


class Command(BaseCommand):
    help = (
        "Stores historical events from a JSON Lines file as pending deliveries (COPY into staging, then one "
        "upsert); the workers apply them as the sweep enqueues them. See accountability/ingest/backfill.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help='One JSON object a line: {"source", "id", "body", ...}')

    def handle(self, *args, file: Path, **options):
        try:
            result = deliveries_backfill(path=file)
        except BackfillError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Read {result.read:,} events: {result.stored:,} stored, {result.duplicates:,} already stored, "
            f"{result.skipped:,} skipped (not an object, unknown source, no id or no body)."
        )
