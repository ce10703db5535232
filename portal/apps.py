"""The portal app: the site on top of the others (settings, URLs, Home, Activity, health)."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"
