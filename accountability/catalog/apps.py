from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "accountability.catalog"
    label = "catalog"
