from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "accountability.ingest"
    label = "ingest"
