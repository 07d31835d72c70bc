from accountability.ingest.management.commands.replay_deliveries import Command as ReplayDeliveries


class Command(ReplayDeliveries):
    help = (
        "Re-runs the deliveries with the given ids (see replay_deliveries for selecting by status or source)."
    )
