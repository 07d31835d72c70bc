from django.core.management.base import BaseCommand, CommandError

from accountability.changes.ledger import ledger_verify


class Command(BaseCommand):
    help = "Recompute the sign-off ledger's hash chain; exit 1 naming the first broken entry."

    def handle(self, *args, **options):
        result = ledger_verify()
        if not result.ok:
            raise CommandError(
                f"Ledger broken at sign-off {result.first_broken_id}: {result.reason} "
                f"({result.checked} entries checked).",
                returncode=1,
            )
        self.stdout.write(f"Ledger intact: {result.checked} entries, hash chain verified.")
