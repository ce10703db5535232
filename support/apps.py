"""Support cases: cancellation requests, quotes, general questions, and their threads."""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"

    def ready(self):
        from support import checks  # noqa: F401 - registers the checks
