"""Users, organizations, memberships and roles, invitations."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.signals import connect_signals

        connect_signals()
