"""Template helpers for the Accounts page."""

from functools import lru_cache

from django import template
from django.utils.html import format_html_join
from django.utils.translation import get_language

from accounts.models import Role

register = template.Library()


@lru_cache(maxsize=64)
def _options(selected: str, language: str | None) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in Role.choices),
    )


@register.simple_tag
def role_options(selected: str) -> str:
    """The roles as a picker's <option>s, `selected` chosen. Drawn once per role and
    language and kept: the Accounts page draws a picker on each of its 50 rows, and a
    loop over the roles there was an eighth of the page's time."""
    return _options(selected if selected in Role.values else "", get_language())
