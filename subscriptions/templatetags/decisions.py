"""Template helpers that put the policy engine's decisions into words."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from portal.row_drawing import csrf_field
from portal.templatetags.row_urls import row_url
from subscriptions.policy import Action, Channel, Decision

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


# The self-service controls: an action done in the portal links to its page (which
# previews it), or, for those with nothing to preview, is a one-click POST.
_PAGES = {
    Action.CANCEL: ("subscription_cancel", ""),
    Action.DELETE: ("subscription_cancel", ""),
    Action.CHANGE_PLAN: ("change_plan", ""),
    Action.CHANGE_NUMBER: ("change_number", ""),
    Action.BLOCK_NUMBERS: ("number_detail", "#block-list"),
}
_POSTS = {Action.KEEP: "subscription_keep", Action.REACTIVATE: "subscription_reactivate"}
_IN_THE_PORTAL = (Channel.NOW, Channel.TERM_END)
_THROUGH_A_PERSON = (Channel.SUPPORT_CASE, Channel.ACCOUNT_MANAGER)


@register.simple_tag(takes_context=True)
def decisions_list(context, decisions, subscription=None, compact=False) -> SafeString:
    """What the member may do with one subscription, as the policy engine decided it: each
    decision's control (a link to its page, a one-click POST, or the support case form
    where a person must act), its channel, and why, with a link to the help article.
    `compact` (list pages) folds each decision, its reason one click away.

    Drawn here, not by a template: it draws on every row of every list page, where the
    template was an eighth of the Numbers page's time. The CSRF field is drawn once per
    page and reused (one token per request either way)."""
    items = [_decision(context, d, subscription, compact) for d in decisions]
    if not items:
        items = ['<li class="muted">Nothing to do here.</li>']
    html = (
        f'<ul class="decisions{" decisions-compact" if compact else ""}"> {" ".join(items)} </ul>'
    )
    # Safe: each part is a constant or what format_html escaped.
    return mark_safe(html)  # noqa: S308


def _control(context, d: Decision, subscription) -> str:
    """The decision's control, for an allowed decision on a subscription."""
    if d.channel in _IN_THE_PORTAL:
        if d.action in _PAGES:
            name, anchor = _PAGES[d.action]
            return format_html(
                '<a href="{}{}" class="action-link">{}</a>',
                row_url(name, subscription.pk),
                anchor,
                d.label,
            )
        if d.action in _POSTS:
            return format_html(
                '<form method="post" action="{}" class="inline-form">{}'
                '<button type="submit" class="secondary">{}</button></form>',
                row_url(_POSTS[d.action], subscription.pk),
                csrf_field(context),
                d.label,
            )
        return format_html('<span class="decision-label">{}</span>', d.label)
    label = format_html('<span class="decision-label">{}</span>', d.label)
    if d.channel not in _THROUGH_A_PERSON:
        return label
    # Where the engine sends it to a person: the matching support case form.
    if d.channel == Channel.ACCOUNT_MANAGER:
        text = format_html(
            'Ask for a quote<span class="visually-hidden"> to {} {}</span>',
            "cancel" if d.action == Action.CANCEL else "change",
            subscription,
        )
    else:
        text = format_html(
            'Fill in the request<span class="visually-hidden">: {}, {}</span>',
            d.label,
            subscription,
        )
    return format_html(
        '{} <a href="{}" class="action-link case-link">{}</a>',
        label,
        row_url("case_request", subscription.pk, d.action),
        text,
    )


def _decision(context, d: Decision, subscription, compact: bool) -> str:
    parts = [f'<li class="decision {"decision-allowed" if d.allowed else "decision-refused"}">']
    if d.allowed and subscription:
        parts.append(_control(context, d, subscription))
        parts.append(format_html('<small class="decision-channel">{}</small>', channel_label(d)))
        if compact:
            parts.append('<details class="decision-why"><summary>Why</summary>')
    else:
        if compact:
            parts.append("<details><summary>")
        parts.append(format_html('<span class="decision-label">{}</span>', d.label))
        parts.append(
            format_html(
                '<small class="decision-channel">{}</small>',
                channel_label(d) if d.allowed else "Not available to you",
            )
        )
        if compact:
            parts.append("</summary>")
    parts.append(
        format_html(
            '<small class="decision-reason">{} <a href="{}" class="decision-help">Learn more'
            '<span class="visually-hidden"> in the help article</span></a></small>',
            d.reason,
            row_url("help_article", d.help_topic),
        )
    )
    if d.addons_to_cancel_first:
        parts.append(
            format_html(
                '<small class="decision-reason">Cancel first: {}.</small>',
                format_html_join(", ", "{}", ((name,) for name in d.addons_to_cancel_first)),
            )
        )
    if d.app_store_steps:
        parts.append(
            format_html(
                '<div class="app-store-steps"> <small>In the App Store:</small> <ol>{}</ol> '
                '<small><a href="{}" rel="noopener noreferrer">'
                "Apple's help on cancelling a subscription</a></small> </div>",
                format_html_join(
                    "", "<li><small>{}</small></li>", ((s,) for s in d.app_store_steps)
                ),
                d.app_store_help_url,
            )
        )
    if compact:
        parts.append("</details>")
    parts.append("</li>")
    return " ".join(parts)
