"""The catalog is kept in the cache with what pages decide with
(`selectors.page_decision_context`, `portal.org_cache`). Staff change it in the admin,
which audits the change and so drops what is kept. These receivers also drop it on any
save or delete of a product or of its plan options through the ORM's models (a shell, a
script), and after a `migrate` that applied migrations (data migrations use historical
models, which send these signals to no one, and a deploy may change what a product
is). What bypasses the models' signals (`QuerySet.update()`, bulk operations, raw SQL)
shows within `org_cache.KEEP_SECONDS`."""

from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from portal import org_cache
from subscriptions.models import Product


def _catalog_changed(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed fires pre_ and post_
        org_cache.mark_changed(None, at_once=True)


def _migrated(sender, plan=None, **kwargs) -> None:
    # Only after migrations were applied (a database built without them, as the tests'
    # is, has no cache table yet at this point).
    if plan:
        org_cache.mark_changed(None)


def connect_signals(app_config) -> None:
    post_save.connect(_catalog_changed, sender=Product, dispatch_uid="catalog-saved")
    post_delete.connect(_catalog_changed, sender=Product, dispatch_uid="catalog-deleted")
    m2m_changed.connect(
        _catalog_changed, sender=Product.changeable_to.through, dispatch_uid="plans-changed"
    )
    post_migrate.connect(_migrated, sender=app_config, dispatch_uid="catalog-migrated")
