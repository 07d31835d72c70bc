from django.core.management.base import BaseCommand

from accountability.changes.reevaluation import provenance_reevaluate


class Command(BaseCommand):
    help = "Recompute the AI provenance of recent changes evaluated under another registry version."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="How far back (PROVENANCE_REEVALUATE_DAYS)"
        )

    def handle(self, *args, days=None, **options):
        result = provenance_reevaluate(days=days)
        self.stdout.write(
            f"Registry {result.registry_version}: {result.recomputed} changes recomputed, "
            f"{result.changed} verdicts changed (the previous ones are kept in the provenance history)."
        )
