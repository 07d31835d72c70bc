from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "accountability.devtools"
    label = "devtools"
