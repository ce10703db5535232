"""Filters that put an audit event into words (`portal.audit_labels`)."""

from django import template

from portal import audit_labels

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return audit_labels.action_label(action)


@register.filter
def field_label(field: str) -> str:
    return audit_labels.field_label(field)


@register.filter
def value_label(value, field: str) -> str:
    """`{{ value|value_label:field }}`: the value recorded for `field`, in words."""
    return audit_labels.value_label(field, value)
