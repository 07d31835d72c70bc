from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "accountability.identity"
    label = "identity"

    def ready(self) -> None:
        from accountability.identity import receivers  # noqa: F401 - connects the signal receivers
