"""The core app: what every other app may use (audit log, e-mail outbox, errors, paging,
client address, the organization cache version, request logging). It imports no app."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Portal"  # staff know the audit log and outbox under this heading in admin

    def ready(self) -> None:
        from core.observability import connect_signals

        connect_signals()
