"""The rows of the Numbers and Licenses tables, drawn in Python.

A page draws 25 of them afresh on every view after a change, and under load every view
is one (a hundred Admins switching and renewing numbers change the organization many
times a second). In the templates, looking up and escaping each cell's value was about
a third of these pages' time. The tags draw the same markup; `tests/subscriptions/
test_table_rows.py` holds them to what the templates drew.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from portal.row_drawing import csrf_field
from portal.templatetags.fast_dates import date
from portal.templatetags.row_urls import row_url
from subscriptions.templatetags.decisions import decisions_list, state_badge

register = template.Library()


def _assignee(subscription, nobody: str) -> str:
    assignee = subscription.assigned_to
    return (assignee.display_name if assignee is not None else "") or nobody


@register.simple_tag(takes_context=True)
def number_row(context, row) -> SafeString:
    """One number's row of the Numbers table."""
    s = row.subscription
    # A row has its number; a template would draw a number missing from the data (a
    # product changed to another kind in admin) as empty cells, and so does this tag.
    number = s.number
    return format_html(
        "<tr>"
        '<td><a href="{url}">{e164}</a><small class="d-block muted">{country} · {kind}</small></td>'
        "<td>{plan}{app_store}</td>"
        "<td>{assignee}</td>"
        "<td>{state}</td>"
        "<td>{recording}</td>"
        '<td class="nowrap">{term_end}</td>'
        "<td>{decisions}</td>"
        "</tr>",
        url=row_url("number_detail", s.pk),
        e164=number.e164 if number else "",
        country=number.country if number else "",
        kind=number.get_number_type_display() if number else "",
        plan=s.product.name,
        app_store=mark_safe(' <span class="badge">App Store</span>')
        if s.purchase_channel == "app_store"
        else "",
        assignee=_assignee(s, "—"),
        state=state_badge(s),
        recording="On" if number and number.inbound_recording else "Off",
        term_end=date(s.term_end, "j M Y"),
        decisions=decisions_list(context, row.decisions, s, compact=True),
    )


@register.simple_tag(takes_context=True)
def license_row(context, row) -> SafeString:
    """One user license's row of the Licenses table, with a Super Admin's assign form."""
    s = row.subscription
    assign = ""
    if context["membership"].is_super_admin and s.is_live:
        assign = format_html(
            '<details class="assign">'
            "<summary>{summary}</summary>"
            '<form method="post" action="{url}">{csrf}'
            '<label for="assign-{pk}">E-mail of a member</label>'
            '<input type="email" id="assign-{pk}" name="email" value="" maxlength="254"'
            ' placeholder="name@example.com">'
            "<small>Leave it empty to free the license.</small>"
            '<button type="submit" class="secondary">Save</button>'
            "</form>"
            "</details>",
            summary="Move or free" if s.assigned_to_id else "Assign",
            url=row_url("assign_license", s.pk),
            csrf=csrf_field(context),
            pk=s.pk,
        )
    return format_html(
        "<tr>"
        "<td>{plan}{label}</td>"
        "<td>{assignee} {assign}</td>"
        "<td>{state}</td>"
        "<td>{term_end}</td>"
        "<td>{decisions}</td>"
        "</tr>",
        plan=s.product.name,
        label=format_html(" · {}", s.label) if s.label else "",
        assignee=_assignee(s, "Free"),
        assign=assign,
        state=state_badge(s),
        term_end=date(s.term_end, "j M Y"),
        decisions=decisions_list(context, row.decisions, s, compact=True),
    )
