from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "accountability.changes"
    label = "changes"
