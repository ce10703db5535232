"""Filters that put an audit event into words (`portal.audit_labels`)."""

from django import template

from portal import audit_labels

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return audit_labels.action_label(action)


@register.filter
def in_words(values: dict, action: str) -> list[tuple[str, str]]:
    """`{% for field, value in event.after|in_words:event.action %}`: the pairs in words."""
    return audit_labels.changes_in_words(action, values)
