"""Customers' and staff's words on the page: escaped, line breaks kept, links made safe."""

import re

from django import template
from django.utils.html import conditional_escape, urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_REL = re.compile(r' rel="nofollow"')


@register.filter(needs_autoescape=False)
def thread_text(value) -> SafeString:
    """Escape `value` (no HTML gets through), link only http(s) addresses and e-mail
    addresses, open no link with the portal's rights, and keep the line breaks."""
    text = str(value or "")
    # urlize escapes the text itself when asked to; it never links javascript: or data:.
    linked = urlize(text, nofollow=True, autoescape=True)
    linked = _REL.sub(' rel="nofollow noopener noreferrer ugc"', linked)
    return mark_safe(linked.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308


@register.filter
def escaped_lines(value) -> SafeString:
    """Plain text with its line breaks, escaped (for e-mails and admin)."""
    escaped = conditional_escape(str(value or ""))
    return mark_safe(escaped.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308
