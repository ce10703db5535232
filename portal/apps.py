"""The portal app: cross-cutting pieces (home, audit log, health, e-mail)."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal.observability import connect_signals

        connect_signals()
