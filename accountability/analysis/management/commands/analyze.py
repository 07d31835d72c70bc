import time

from django.core.management.base import BaseCommand, CommandError

from accountability.analysis.gaps import gaps_scan_all
from accountability.analysis.metrics import metrics_refresh
from accountability.analysis.services import change_analyze, changes_recompute_recent
from accountability.analysis.suspects import suspects_refresh
from accountability.incidents.models import Incident


class Command(BaseCommand):
    help = (
        "Run the analysis synchronously: the recent changes' blast radius, risk and policy, gaps, "
        "suspects of "
        "open incidents and metrics. --all widens changes and incidents to every one; --change analyses one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="every change and every incident, not only recent"
        )
        parser.add_argument("--change", type=int, help="analyse this one change (by id) and stop")

    def handle(self, *args, all: bool, change: int | None, **options):
        if change is not None:
            if change_analyze(change_id=change) is None:
                raise CommandError(f"There is no change {change}.")
            self.stdout.write(f"Analysed change {change}.")
            return
        started = time.monotonic()
        count = changes_recompute_recent(days=36500 if all else None)
        self.stdout.write(f"Changes: {count} recomputed ({time.monotonic() - started:.1f} s).")
        started = time.monotonic()
        summary = gaps_scan_all(change_days=36500 if all else None)
        self.stdout.write(
            f"Gaps: {summary.opened} opened, {summary.kept} still open, {summary.resolved} resolved "
            f"({time.monotonic() - started:.1f} s)."
        )
        started = time.monotonic()
        incidents = (
            Incident.objects.all() if all else Incident.objects.exclude(status=Incident.Status.RESOLVED)
        )
        ranked = 0
        for incident in incidents.order_by("-started_at").iterator():
            suspects_refresh(incident=incident)
            ranked += 1
        self.stdout.write(f"Suspects: {ranked} incidents ranked ({time.monotonic() - started:.1f} s).")
        started = time.monotonic()
        stored = metrics_refresh(months=24 if all else 3)
        self.stdout.write(f"Metrics: {stored} snapshots ({time.monotonic() - started:.1f} s).")
