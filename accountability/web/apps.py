from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "accountability.web"
    label = "web"
