"""Figures about an organization, kept in the cache until the organization changes.

Counting what an organization holds reads every row it has (its numbers, licenses and
cases), and Home, the page everyone lands on, shows such counts. `kept(...)` keeps
them per organization and viewpoint, and they stand as long as nothing of the
organization changes:

- Every change writes an audit event (`portal.audit.audit_record`), which calls
  `mark_changed`: the organization gets a new token once the change commits (not
  before: a page counting meanwhile would see the state before the commit and keep it
  under the new token; and with the database cache, writing the token inside the
  change's transaction would lock its row until the commit, for every change of the
  organization).
- A change without an organization (staff editing the catalog) marks every
  organization changed. So does any save or delete of the catalog itself through its
  models, and a `migrate` that applies migrations (`subscriptions.signals`): pages
  take their products from what is kept.
- Kept figures expire after `KEEP_SECONDS` anyway: for what changes with time alone
  (an invitation's validity) or without the audit log (a bulk load in a shell).
"""

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

KEEP_SECONDS = 60
TOKEN_SECONDS = 24 * 60 * 60  # longer than anything kept with it
_EVERYONE = "all"


def _token_key(organization_id: int | None) -> str:
    return f"org-changed:{organization_id or _EVERYONE}"


def _new_token(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, TOKEN_SECONDS)


def mark_changed(organization_id: int | None, *, at_once: bool = False) -> None:
    """Figures kept for this organization (for every one, with None) no longer stand,
    from the commit of the current transaction on (at once outside one).

    `at_once` also drops them inside the transaction, so that the change's own
    transaction reads its change (the catalog, whose products pages take from what is
    kept). The commit renews the token again, over figures a page kept meanwhile from
    the state before the commit. Only for rare changes: with the database cache, the
    token's row stays locked until the commit."""
    key = _token_key(organization_id)
    if at_once:
        _new_token(key)
    transaction.on_commit(lambda: _new_token(key))


def kept_for(membership, figures: str, compute: Callable[[], object]):
    """`kept` for the figures named `figures` (a page's) as `membership` sees them: Admins
    and above the whole organization (by role, as Super Admins see more), a Member their
    own."""
    if membership.is_admin_or_above:
        viewpoint = f"{figures}:{membership.role}"
    else:
        viewpoint = f"{figures}:member-{membership.user_id}"
    return kept(membership.organization_id, viewpoint, compute)


def kept(organization_id: int, viewpoint: str, compute: Callable[[], object]):
    """`compute()` for this organization and viewpoint (which figures, as whom: a role's
    "home:admin", one member's "numbers:member-7", or "decision-context"), or what it
    gave before if nothing has changed since. What it returns must pickle."""
    keys = [_token_key(organization_id), _token_key(None)]
    figures_key = f"org-figures:{organization_id}:{viewpoint}"
    found = cache.get_many([*keys, figures_key])
    tokens = [found.get(key) for key in keys]
    if None in tokens:
        # A token the cache lost (or never had): make one, so that figures stored before
        # it was lost, when it may have been another, never match it.
        for key, token in zip(keys, tokens, strict=True):
            if token is None:
                cache.add(key, uuid.uuid4().hex, TOKEN_SECONDS)
        tokens = [cache.get(key) for key in keys]
    stored = found.get(figures_key)
    if stored is not None and stored[0] == tokens:
        return stored[1]
    figures = compute()
    cache.set(figures_key, (tokens, figures), KEEP_SECONDS)
    return figures
