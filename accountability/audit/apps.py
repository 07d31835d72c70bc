from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "accountability.audit"
    label = "audit"

    def ready(self):
        from accountability.audit import receivers  # noqa: F401  (connects the receivers)
