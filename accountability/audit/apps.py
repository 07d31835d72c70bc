from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "accountability.audit"
    label = "audit"
