from django.core.management.base import BaseCommand, CommandError

from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.services import deliveries_replay


class Command(BaseCommand):
    help = "Puts finished deliveries back to pending and processes them again (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Delivery ids; or select with the options")
        parser.add_argument("--status", choices=[s for s in Delivery.Status.values if s != "pending"])
        parser.add_argument("--source", help="Source name")
        parser.add_argument(
            "--now", action="store_true", help="Process here instead of enqueuing for the workers"
        )

    def handle(self, *args, ids, status, source, now, **options):
        if not (ids or status or source):
            raise CommandError("name delivery ids, or select with --status and/or --source")
        deliveries = Delivery.objects.all()
        if ids:
            deliveries = deliveries.filter(id__in=ids)
            missing = set(ids) - set(deliveries.values_list("id", flat=True))
            if missing:
                raise CommandError(f"no delivery with id {', '.join(map(str, sorted(missing)))}")
        if status:
            deliveries = deliveries.filter(status=status)
        if source:
            if not Source.objects.filter(name=source).exists():
                raise CommandError(f"no source named {source!r}")
            deliveries = deliveries.filter(source__name=source)
        selected = list(deliveries.exclude(status=Delivery.Status.PENDING).values_list("id", flat=True))
        count = deliveries_replay(deliveries=Delivery.objects.filter(id__in=selected), enqueue=not now)
        if now:
            for delivery_id in selected:
                delivery_process(delivery_id=delivery_id)
        self.stdout.write(f"Replayed {count} deliveries{'' if now else ' (enqueued)'}.")
