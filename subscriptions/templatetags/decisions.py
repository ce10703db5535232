"""Template helpers that put the policy engine's decisions into words."""

from django import template
from django.utils.html import format_html

from subscriptions.policy import Channel, Decision

register = template.Library()

CHANNEL_LABELS = {
    Channel.NOW: "In the portal, at once",
    Channel.TERM_END: "In the portal, at the end of the term",
    Channel.SUPPORT_CASE: "Through a support case",
    Channel.ACCOUNT_MANAGER: "Through your account manager",
    Channel.APP_STORE: "In the Apple App Store",
    Channel.NONE: "Not possible",
}


@register.filter
def channel_label(decision: Decision) -> str:
    return CHANNEL_LABELS[Channel(decision.channel)]


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.simple_tag
def state_badge(subscription) -> str:
    """The subscription's state as a badge (a tag, not an include: it draws on every row)."""
    return format_html(
        '<span class="badge state-{}">{}</span>',
        subscription.state,
        subscription.get_state_display(),
    )
