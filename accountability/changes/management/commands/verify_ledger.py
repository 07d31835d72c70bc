from django.core.management.base import BaseCommand, CommandError

from accountability.changes.checkpoints import head_parse
from accountability.changes.ledger import ledger_verify


class Command(BaseCommand):
    help = (
        "Recompute the sign-off ledger's hash chain and hold it against its signed checkpoints; exit 1 "
        "naming the first broken entry."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            default="",
            help="A checkpoint a monitor kept (id:entries:hash:signature, GET /api/v1/ledger/checkpoint): "
            "checked too, so a ledger emptied together with its checkpoint table is still caught",
        )

    def handle(self, *args, checkpoint: str = "", **options):
        try:
            head = head_parse(checkpoint) if checkpoint else None
        except ValueError:
            raise CommandError("--checkpoint must be id:entries:hash:signature") from None
        result = ledger_verify(checkpoint=head)
        if not result.ok:
            raise CommandError(
                f"Ledger broken at sign-off {result.first_broken_id}: {result.reason} "
                f"({result.checked} entries checked).",
                returncode=1,
            )
        self.stdout.write(
            f"Ledger intact: {result.checked} entries, hash chain and signed checkpoints verified."
        )
