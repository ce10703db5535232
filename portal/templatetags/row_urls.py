"""`{% row_url %}`: the URL of one row's page or action, for templates that draw many rows.

`{% row_url 'number_detail' s.pk %}` gives what `{% url 'number_detail' s.pk %}` gives.
Django's reverse() matches the URL pattern again on every call, and a list page calls
it for every link and form of every row: 150 times on the Accounts page, where that was
about an eighth of the page's time. Here each URL is reversed once and kept: with a
marker in place of the row's integer id, which each row's id then replaces, and with
its text arguments as they are (an action, a help topic: a few values, so a small
cache holds them all). Arguments of any other kind, several ids, or a negative id go
to reverse() every time, as `{% url %}` would.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

# An id no table reaches in practice; reversed in the id's place, then replaced.
MARKER = 2_147_483_647


@lru_cache(maxsize=1024)
def _reversed(name: str, args: tuple, urlconf: str, prefix: str) -> tuple[str, ...]:
    """`name`'s URL split around the marker: one part without an id, two with one; a
    URL in which the marker is not found exactly once is not split (None)."""
    url = reverse(name, args=args, urlconf=urlconf)
    if MARKER not in args:
        return (url,)
    parts = url.split(str(MARKER))
    return tuple(parts) if len(parts) == 2 else None


def _kept(value) -> bool:
    # bool is an int, and <int:...> matches no negative number: both go to reverse().
    return isinstance(value, str) or (type(value) is int and value >= 0)


@register.simple_tag
def row_url(name: str, *args) -> str:
    ids = [value for value in args if type(value) is int]
    if len(ids) <= 1 and all(_kept(value) for value in args):
        key = tuple(MARKER if type(value) is int else str(value) for value in args)
        parts = _reversed(name, key, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        if parts is not None:
            return parts[0] if len(parts) == 1 else f"{parts[0]}{ids[0]}{parts[1]}"
    return reverse(name, args=list(args))
