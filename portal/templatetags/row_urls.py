"""`{% row_url %}`: the URL of one row's page, for templates that draw many rows.

`{% row_url 'number_detail' s.pk %}` gives what `{% url 'number_detail' s.pk %}` gives.
Django's reverse() matches the URL pattern again on every call, and a list page calls
it for every link and form of every row: 150 times on the Accounts page, where that was
about an eighth of the page's time. Here the URL is reversed once per name with a
marker id, and each row's id is put in the marker's place. Only for URLs whose one argument is an
integer id; anything else goes to reverse() as `{% url %}` would.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

# An id no table reaches in practice; reversed once per URL name, then replaced.
MARKER = 2_147_483_647


@lru_cache(maxsize=256)
def _around_id(name: str, urlconf: str, prefix: str) -> tuple[str, str] | None:
    """(before, after) the id in `name`'s URL, or None when the marker is not found
    exactly once (then every call reverses in full)."""
    url = reverse(name, args=[MARKER], urlconf=urlconf)
    parts = url.split(str(MARKER))
    return (parts[0], parts[1]) if len(parts) == 2 else None


@register.simple_tag
def row_url(name: str, pk) -> str:
    # bool is an int; a negative id is not matched by <int:...>: both go to reverse().
    if type(pk) is int and pk >= 0:
        around = _around_id(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        if around is not None:
            return f"{around[0]}{pk}{around[1]}"
    return reverse(name, args=[pk])
