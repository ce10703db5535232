"""Customers' and staff's words on the page: escaped, line breaks kept, links made safe."""

import re

from django import template
from django.utils.html import conditional_escape, escape, urlize
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()

_REL = re.compile(r' rel="nofollow"')
# Everything Django's urlize links has one of these: an http(s):// address, a www.
# address, a name ending in one of its seven top-level domains, or an e-mail address.
# Text with none of them (most messages) comes out of urlize escaped and nothing else, so
# it is escaped without urlize's work.
_LINKABLE = re.compile(r"://|www\.|@|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)


@register.filter(needs_autoescape=False)
def thread_text(value) -> SafeString:
    """Escape `value` (no HTML gets through), link only http(s) addresses and e-mail
    addresses, open no link with the portal's rights, and keep the line breaks."""
    text = str(value or "")
    if isinstance(text, SafeData) or _LINKABLE.search(text):
        # urlize escapes the text itself when asked to; it never links javascript: or data:.
        linked = urlize(text, nofollow=True, autoescape=True)
        linked = _REL.sub(' rel="nofollow noopener noreferrer ugc"', linked)
    else:
        linked = escape(text)
    return mark_safe(linked.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308


@register.filter
def escaped_lines(value) -> SafeString:
    """Plain text with its line breaks, escaped (for e-mails and admin)."""
    escaped = conditional_escape(str(value or ""))
    return mark_safe(escaped.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308
