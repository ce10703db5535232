"""Catalog, policies, subscriptions, numbers and lines."""

from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from subscriptions.signals import connect_signals

        connect_signals()
