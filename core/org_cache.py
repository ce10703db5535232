"""Values computed from an organization's rows, cached until the organization changes.

Counting what an organization holds reads every row it has, and Home, the page everyone
lands on, shows such counts. `cached(...)` keeps a computed value in Django's cache
under the organization's *cache version*:

- Every organization has a version in the cache, and the catalog (shared by all) has
  one too. A value is stored and found under both, so a new version of either is a
  miss for everything cached before it.
- Services call `organization_changed(organization)` when they change what cached
  values read (members and roles, invitations, what the organization holds, its
  cases), and `catalog_changed()` follows any change of the catalog. The new version
  is set when the change's transaction commits: a page that read the rows before the
  commit must not store what it read under the new version.
- Values expire after `CACHE_SECONDS` anyway, for what changes with time alone (an
  invitation's validity) or without a service (a bulk load in a shell).
- The cache failing (Redis down) is never the page's or the change's failure: values are
  computed afresh while it fails, and a change whose new version cannot be set stands,
  logged; its organization's cached values may then be stale until they expire.

Cached values are plain data (numbers, text, tuples of them), never model instances,
so they read the same after a deploy. They live in the "org_values" cache (settings),
apart from the rate-limit counters of the default cache.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger("portal.cache")

ALIAS = "org_values"
CACHE_SECONDS = 60
# Longer than any value cached under it: a version outlives what it guards.
VERSION_SECONDS = 24 * 60 * 60
_CATALOG = "catalog"


def _version_key(scope: int | str) -> str:
    return f"cache-version:{scope}"


def _new_version(scope: int | str) -> None:
    # A random version, not a counter: two changes committing at once each get a
    # version of their own, and a version lost from the cache never comes back.
    try:
        caches[ALIAS].set(_version_key(scope), uuid.uuid4().hex, VERSION_SECONDS)
    except Exception as error:  # runs after a commit: the change stands whatever the cache
        logger.warning(
            "cache version not renewed, cached values stale until they expire",
            extra={"scope": str(scope), "error": type(error).__name__},
        )


def organization_changed(organization) -> None:
    """What is cached about `organization` (an instance or its id) is stale from the
    commit of the current transaction on (at once outside one)."""
    organization_id = getattr(organization, "pk", organization)
    transaction.on_commit(lambda: _new_version(organization_id))


def catalog_changed() -> None:
    """What is cached about every organization is stale at once, and again from the commit
    on (a page that read the catalog meanwhile must not stand): the catalog's products and
    plan options are part of what pages decide with, and the change's own transaction
    must read its change. Rare (staff edit the catalog), so the write inside the
    transaction costs nothing worth saving."""
    _new_version(_CATALOG)
    transaction.on_commit(lambda: _new_version(_CATALOG))


def forget_all() -> None:
    """Every cached value is a miss from now on, at once: after rows were loaded without
    the services (a bulk load), or to measure what pages compute."""
    _new_version(_CATALOG)


def _versions(cache, organization_id: int, found: dict) -> tuple:
    keys = [_version_key(organization_id), _version_key(_CATALOG)]
    for missing in [key for key in keys if key not in found]:
        # Never set, or lost: start one (add, so that two pages agree on it); a value
        # stored under the version that was lost can never match the new one.
        cache.add(missing, uuid.uuid4().hex, VERSION_SECONDS)
        found[missing] = cache.get(missing)
    return tuple(found[key] for key in keys)


def cache_version(organization_id: int) -> tuple:
    """The organization's cache version: its own and the catalog's."""
    cache = caches[ALIAS]
    keys = [_version_key(organization_id), _version_key(_CATALOG)]
    return _versions(cache, organization_id, cache.get_many(keys))


def cached(organization_id: int, name: str, compute: Callable[[], object]):
    """`compute()`, or what it gave for this organization and `name` under the current
    cache version. What it returns must be plain data.

    One round trip reads the two versions and the value, which is stored with the
    versions it was computed under."""
    cache = caches[ALIAS]
    key = f"org:{organization_id}:{name}"
    try:
        found = cache.get_many([_version_key(organization_id), _version_key(_CATALOG), key])
        version = _versions(cache, organization_id, found)
    except Exception as error:  # the cache is down: the page computes what it shows
        logger.warning("organization cache unavailable", extra={"error": type(error).__name__})
        return compute()
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return stored[1]
    value = compute()
    try:
        cache.set(key, (version, value), CACHE_SECONDS)
    except Exception as error:
        logger.warning("organization cache unavailable", extra={"error": type(error).__name__})
    return value


def cached_for(membership, name: str, compute: Callable[[], object]):
    """`cached` for a page's values as `membership` sees them: Admins and above see the
    whole organization (by role, as Super Admins see more), a Member their own."""
    if membership.is_admin_or_above:
        viewpoint = f"{name}:{membership.role}"
    else:
        viewpoint = f"{name}:member-{membership.user_id}"
    return cached(membership.organization_id, viewpoint, compute)
