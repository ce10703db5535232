"""Template helpers for the Accounts page, which draws 50 members' rows."""

from functools import lru_cache

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accounts.models import Role
from portal.row_drawing import csrf_field
from portal.templatetags.row_urls import row_url

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


@register.simple_tag(takes_context=True)
def member_controls(context, member) -> str:
    """A Super Admin's controls on one member's row: the role picker with its button, and
    Remove. Drawn here, not by a template: in one, these two forms were a quarter of the
    Accounts page's time. The CSRF field is drawn once per page and reused (one token per
    request either way)."""
    name = member.user.display_name
    return format_html(
        '<div class="row-actions">'
        '<form method="post" action="{change}">{csrf}'
        '<label for="role-{pk}" class="visually-hidden">Role of {name}</label>'
        '<select name="role" id="role-{pk}">{options}</select>'
        '<button type="submit" class="secondary">Change role</button>'
        "</form>"
        '<form method="post" action="{remove}">{csrf}'
        '<button type="submit" class="secondary outline" aria-label="Remove {name}">Remove'
        "</button>"
        "</form>"
        "</div>",
        change=row_url("member_change_role", member.pk),
        remove=row_url("member_remove", member.pk),
        csrf=csrf_field(context),
        pk=member.pk,
        name=name,
        options=role_options(member.role),
    )


@register.simple_tag(takes_context=True)
def member_row(context, member) -> SafeString:
    """One member's row of the Accounts table: a template drew it in about half the page's
    time, looking up and escaping each cell's value on 50 rows."""
    viewer = context["membership"]
    user = member.user
    yours = member.user_id == context["user"].pk
    plans = ""
    if viewer.is_admin_or_above or yours:
        plans = format_html(
            '<a href="{}" aria-label="Plans of {}">Plans</a>',
            row_url("member_plans", member.pk),
            user.display_name,
        )
    return format_html(
        "<tr><td>{name}{you}</td><td>{email}</td><td>{role}</td><td>{plans}</td>{manage}</tr>",
        name=user.full_name or "—",
        you=mark_safe(' <span class="badge">you</span>') if yours else "",
        email=user.email,
        role=member.get_role_display(),
        plans=plans,
        manage=format_html("<td>{}</td>", member_controls(context, member))
        if viewer.is_super_admin
        else "",
    )
