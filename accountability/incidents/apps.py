from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "accountability.incidents"
    label = "incidents"
