"""The catalog is kept in the cache with what pages decide with
(`selectors.page_decision_context`, `portal.org_cache`). Staff change it in the admin,
which audits the change and so drops what is kept; a migration, a data load or a shell
does not audit. These receivers drop it on any save or delete of a product or of its
plan options, wherever made."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from portal import org_cache
from subscriptions.models import Product


def _catalog_changed(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed fires pre_ and post_
        org_cache.mark_changed(None, at_once=True)


def connect_signals() -> None:
    post_save.connect(_catalog_changed, sender=Product, dispatch_uid="catalog-saved")
    post_delete.connect(_catalog_changed, sender=Product, dispatch_uid="catalog-deleted")
    m2m_changed.connect(
        _catalog_changed, sender=Product.changeable_to.through, dispatch_uid="plans-changed"
    )
