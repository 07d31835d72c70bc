from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IngestConfig(AppConfig):
    name = "accountability.ingest"
    label = "ingest"

    def ready(self) -> None:
        from accountability.ingest.models import Source
        from accountability.ingest.receiving import sources_forget

        # Receivers keep sources a few seconds (services.source_receiving); a change here applies at once.
        post_save.connect(sources_forget, sender=Source, dispatch_uid="ingest_sources_forget_saved")
        post_delete.connect(sources_forget, sender=Source, dispatch_uid="ingest_sources_forget_deleted")
