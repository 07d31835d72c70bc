from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "accountability.api"
    label = "api"
