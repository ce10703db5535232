"""Figures about an organization, kept in the cache until what they count changes.

Counting what an organization holds reads every row it has (its numbers, licenses and
cases), and Home, the page everyone lands on, shows such counts. `kept(...)` keeps
them per organization and viewpoint, and they stand as long as nothing they depend on
changes:

- An organization's data falls into a few `Topic`s (its people, what it holds, its
  cases, ...), each with a token in the cache. Kept figures name the topics they
  depend on (`depends_on`, by default all of them) and stand while those tokens do.
- Every change writes an audit event (`portal.audit.audit_record`), which calls
  `mark_changed` with the topics the change touched (every topic, unless its caller
  says which): those topics get new tokens once the change commits (not before: a
  page counting meanwhile would see the state before the commit and keep it under the
  new token; and with the database cache, writing a token inside the change's
  transaction would lock its row until the commit, for every change of the
  organization). So switching a number's call recording, which no kept figure reads,
  leaves Home's counts and the pages' decision context standing, even when a hundred
  members change settings every minute.
- A change without an organization (staff editing the catalog) marks every topic of
  every organization changed. So does any save or delete of the catalog itself through
  its models, and a `migrate` that applies migrations (`subscriptions.signals`): pages
  take their products from what is kept.
- Kept figures expire after `KEEP_SECONDS` anyway: for what changes with time alone
  (an invitation's validity) or without the audit log (a bulk load in a shell).
"""

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from portal.counting import count_one

KEEP_SECONDS = 60
TOKEN_SECONDS = 24 * 60 * 60  # longer than anything kept with it
_EVERYONE = "all"


class Topic(StrEnum):
    """What of an organization a change touched, and what kept figures depend on."""

    PEOPLE = "people"  # members, their roles and names, invitations
    HOLDINGS = "holdings"  # what it holds: subscriptions and numbers, their plan, state, assignee
    CASES = "cases"  # support cases and their states
    # Read by no kept figure today (pages read them fresh), so marking them drops nothing;
    # named so that a change says what it touched, and a figure could depend on them.
    TERMS = "terms"  # renewals: set to end at the term end, kept, a plan scheduled for then
    SETTINGS = "settings"  # switches: call recording, calling mode, blocked numbers


EVERY_TOPIC = frozenset(Topic)


def _token_key(organization_id: int | None, topic: Topic | None = None) -> str:
    if organization_id is None:
        return f"org-changed:{_EVERYONE}"  # one token for every topic of every organization
    return f"org-changed:{organization_id}:{topic}"


def _new_tokens(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, TOKEN_SECONDS)


def mark_changed(
    organization_id: int | None, *, topics: Iterable[Topic] = EVERY_TOPIC, at_once: bool = False
) -> None:
    """Figures kept for this organization (for every one, with None) that depend on any of
    `topics` no longer stand, from the commit of the current transaction on (at once
    outside one).

    `at_once` also drops them inside the transaction, so that the change's own
    transaction reads its change (the catalog, whose products pages take from what is
    kept). The commit renews the tokens again, over figures a page kept meanwhile from
    the state before the commit. Only for rare changes: with the database cache, the
    tokens' rows stay locked until the commit."""
    if organization_id is None:
        keys = [_token_key(None)]
    else:
        keys = [_token_key(organization_id, topic) for topic in sorted(set(topics))]
    if not keys:
        return
    if at_once:
        _new_tokens(keys)
    transaction.on_commit(lambda: _new_tokens(keys))


def kept_for(
    membership,
    figures: str,
    compute: Callable[[], object],
    *,
    depends_on: Iterable[Topic] = EVERY_TOPIC,
):
    """`kept` for the figures named `figures` (a page's) as `membership` sees them: Admins
    and above the whole organization (by role, as Super Admins see more), a Member their
    own."""
    if membership.is_admin_or_above:
        viewpoint = f"{figures}:{membership.role}"
    else:
        viewpoint = f"{figures}:member-{membership.user_id}"
    return kept(membership.organization_id, viewpoint, compute, depends_on=depends_on)


def kept(
    organization_id: int,
    viewpoint: str,
    compute: Callable[[], object],
    *,
    depends_on: Iterable[Topic] = EVERY_TOPIC,
    may_store: Callable[[], bool] = lambda: True,
):
    """`compute()` for this organization and viewpoint (which figures, as whom: a role's
    "home:admin", one member's "numbers:member-7", or "decision-context"), or what it
    gave before if none of the topics it `depends_on` has changed since. What it returns
    must pickle. A new result is stored only if `may_store()` says so."""
    keys = [
        *(_token_key(organization_id, topic) for topic in sorted(set(depends_on))),
        _token_key(None),
    ]
    figures_key = f"org-figures:{organization_id}:{viewpoint}"
    found = cache.get_many([*keys, figures_key])
    tokens = [found.get(key) for key in keys]
    if None in tokens:
        # A token the cache lost (or never had): make one, so that figures stored before
        # it was lost, when it may have been another, never match it.
        for key, token in zip(keys, tokens, strict=True):
            if token is None:
                cache.add(key, uuid.uuid4().hex, TOKEN_SECONDS)
        again = cache.get_many(keys)
        tokens = [again.get(key) for key in keys]
    stored = found.get(figures_key)
    if stored is not None and stored[0] == tokens:
        return stored[1]
    figures = compute()
    if may_store():
        cache.set(figures_key, (tokens, figures), KEEP_SECONDS)
    return figures


def _may_store_a_part(membership_id: int) -> bool:
    minute = int(time.time() // 60)
    return count_one(f"parts-kept:{membership_id}:{minute}", 2 * 60) <= PARTS_KEPT_PER_MINUTE


# How many parts one member's views may store in a minute: past it they are drawn and
# not kept. Each URL (any query string) is a part of its own, so without a bound one
# member could fill the cache with parts of made-up URLs; a person browsing stays far
# below it.
PARTS_KEPT_PER_MINUTE = 30

# A kept part is drawn with this in place of the CSRF token; on every view the requester's
# own token's hidden field replaces the hole's, whose markup escaped data (a label, a
# name) can never spell: their angle brackets and quotes come out escaped.
_CSRF_HOLE = "kept-part-csrf-hole"


def _csrf_field(token: str) -> str:
    return CsrfTokenNode().render({"csrf_token": token})


def kept_part(
    request,
    part: str,
    template_name: str,
    context: Callable[[], dict],
    *,
    depends_on: Iterable[Topic] = EVERY_TOPIC,
    keep: bool = True,
) -> SafeString:
    """The HTML of `template_name` (a page's part that reads and draws many rows) drawn
    from `context()`, or as it was drawn before for the same member at the same URL (its
    filters and page number) on the same day, if nothing of the organization it
    `depends_on` (by default anything) has changed since. `keep=False` draws it for this
    answer only (a form in it showing a POST's errors).

    Per membership, as what a member sees and may do is theirs; per day, as decisions
    read the date. A member who goes back to a list after looking at one of its rows
    finds it drawn. Each part expires after `KEEP_SECONDS`, and a member's views store
    no more than `PARTS_KEPT_PER_MINUTE` parts a minute (past that, pages are drawn
    and not kept), so the parts in the cache stay within what members really browse."""
    membership = request.membership
    url = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    viewpoint = f"part:{part}:{membership.pk}:{timezone.localdate().isoformat()}:{url}"

    def draw() -> str:
        return render_to_string(
            template_name, {**context(), "csrf_token": _CSRF_HOLE}, request=request
        )

    if keep and settings.KEEP_PAGE_PARTS:
        html = kept(
            membership.organization_id,
            viewpoint,
            draw,
            depends_on=depends_on,
            may_store=lambda: _may_store_a_part(membership.pk),
        )
    else:
        html = draw()
    return mark_safe(  # noqa: S308 (drawn by the template, which escaped what it drew)
        html.replace(_csrf_field(_CSRF_HOLE), _csrf_field(get_token(request)))
    )
