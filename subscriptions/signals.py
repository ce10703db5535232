"""The catalog's plan options are part of what pages cache (`core.org_cache`). Staff change
the catalog in admin, which says so; these receivers say so too for any save or delete
of a product or of its plan options through the models (a shell, a script). What
bypasses the models' signals (`QuerySet.update()`, bulk operations, raw SQL) shows
within `org_cache.CACHE_SECONDS`."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from core.org_cache import catalog_changed
from subscriptions.models import Product


def _catalog_changed(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed fires pre_ and post_
        catalog_changed()


def connect_signals() -> None:
    post_save.connect(_catalog_changed, sender=Product, dispatch_uid="catalog-saved")
    post_delete.connect(_catalog_changed, sender=Product, dispatch_uid="catalog-deleted")
    m2m_changed.connect(
        _catalog_changed, sender=Product.changeable_to.through, dispatch_uid="plans-changed"
    )
