from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "accountability.notify"
    verbose_name = "Notifications"
