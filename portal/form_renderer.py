"""The portal's form renderer: Django's form templates, with the common ones drawn in Python.

Django draws one form field from a chain of small templates: the field group, its
label, its error list, the widget, the widget's attributes, and for a select one
template per option. Each is a template render, and on the list pages' filter forms
that chain cost more than all the page's rows: the Numbers filter's six fields took
about 9 ms (docs/performance.md). Here the templates every portal page uses are written as
Python that produces the same markup; any other template (radio buttons, file
inputs, admin widgets, a fieldset) is still rendered from Django's own.

tests/portal/test_form_renderer.py renders the portal's forms (those that need no
database rows) and a form with every kind of field with both this renderer and
Django's, with hostile values and with errors, and requires the same HTML: that is
what keeps the two in step across Django upgrades.
"""

from collections.abc import Callable, Mapping

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

SELECT_OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """`{{ value }}`: localized (dates, numbers), then escaped unless already safe text,
    as django.template.base.render_value_in_context does."""
    value = localize(template_localtime(value))
    if not isinstance(value, str):
        value = str(value)
    return conditional_escape(value)


def _value(value) -> str:
    """`{{ value|stringformat:'s' }}`: the value as text, escaped unless already safe."""
    return conditional_escape(value if isinstance(value, SafeData) else str(value))


def _attrs(attrs: Mapping) -> str:
    """django/forms/widgets/attrs.html (and django/forms/attrs.html): ` name="value"`."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_value(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context: Mapping) -> str:
    widget = context["widget"]
    value = "" if widget["value"] is None else f' value="{_value(widget["value"])}"'
    return (
        f'<input type="{_text(widget["type"])}" '
        f'name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def _textarea(context: Mapping) -> str:
    widget = context["widget"]
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(context: Mapping) -> str | None:
    widget = context["widget"]
    if any(
        option["template_name"] != SELECT_OPTION
        for _name, options, _index in widget["optgroups"]
        for option in options
    ):
        return None  # a widget with its own option template: Django's templates
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{_value(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _label(context: Mapping) -> str:
    label = _text(context["label"])
    if not context["use_tag"]:
        return label
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _errors(context: Mapping) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = format_html(' id="{}_error"', field_id) if field_id else ""
    items = "".join(f"<li>{_text(error)}</li>" for error in errors)
    return f'<ul class="{_text(context["error_class"])}"{id_attr}>{items}</ul>'


def _field(context: Mapping) -> str | None:
    field = context["field"]
    if field.use_fieldset:
        return None  # radio buttons and checkbox lists: Django's template
    label = field.label_tag() if field.label else ""
    help_text = ""
    if field.help_text:
        id_attr = format_html(' id="{}_helptext"', field.auto_id) if field.auto_id else ""
        help_text = f'<div class="helptext"{id_attr}>{field.help_text}</div>'
    # The blank lines are the template's own: kept so both renderers write the same.
    return f"\n  {label}\n\n{help_text}\n{field.errors}\n{field}"


INPUT_TYPES = ("input", "text", "email", "number", "password", "search", "tel", "url", "date")
DRAWN_IN_PYTHON: dict[str, Callable[[Mapping], str | None]] = {
    **{f"django/forms/widgets/{name}.html": _input for name in INPUT_TYPES},
    "django/forms/widgets/hidden.html": _input,
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
    "django/forms/field.html": _field,
}


class PortalFormRenderer(DjangoTemplates):
    """Django's template renderer, but the field parts every page draws are Python."""

    def render(self, template_name, context, request=None):
        draw = DRAWN_IN_PYTHON.get(template_name)
        try:
            html = draw(context) if draw is not None else None
        except KeyError:
            # A custom widget pointing at one of these templates with a context of its
            # own: the template renders what is missing as empty, so let it.
            html = None
        if html is None:
            return super().render(template_name, context, request=request)
        # Every value above went through _text or _value; strip() as Django's renderer does.
        return mark_safe(html.strip())  # noqa: S308
