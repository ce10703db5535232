"""The portal's form renderer draws exactly what Django's form templates draw.

portal.form_renderer writes the common form templates as Python (they cost more than a
list page's rows). These tests render the same bound forms with it and with Django's
own template renderer and require identical HTML: for every kind of field the portal
uses, for the portal's forms that need no database rows, with errors, help text,
hostile values and labels, labels that are dates and numbers, and custom widgets.
"""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe

from accounts.forms import AcceptInvitationForm, InviteForm, RoleForm
from portal.form_renderer import DRAWN_IN_PYTHON, PortalFormRenderer
from portal.forms import ActivityFilterForm
from subscriptions.action_forms import (
    AssignLicenseForm,
    BlockForm,
    CallingModeForm,
    CancelForm,
    FixForm,
    SwitchForm,
)
from subscriptions.forms import NumberFilterForm
from support.forms import (
    ArticleVoteForm,
    CancellationRequestForm,
    CaseFilterForm,
    GeneralCaseForm,
    QuoteDeclineForm,
    ReplyForm,
)

HOSTILE = '"><script>alert(1)</script>&amp;'


class EveryWidget(forms.Form):
    required_css_class = "required"

    text = forms.CharField(label="Name", help_text="As on <b>the</b> invoice.", max_length=20)
    asked = forms.CharField(label="Why?", required=False)  # ends in punctuation: no suffix
    email = forms.EmailField(label="E-mail")
    number = forms.IntegerField(label="How many", min_value=1)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    search = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autofocus": True})
    )
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    date = forms.DateField(required=False, widget=forms.DateInput({"type": "date"}))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    choice = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), (HOSTILE, HOSTILE)])
    grouped = forms.ChoiceField(
        required=False,
        choices=[("", "None"), ("Voice", [("v1", "Voice 1"), ("v2", "Voice 2")]), ("x", "X")],
    )
    hostile_groups = forms.ChoiceField(
        required=False, choices=[("", "None"), (HOSTILE, [("h", HOSTILE)])]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    hostile_label = forms.CharField(label=HOSTILE + "?", required=False)
    no_label = forms.CharField(label="", required=False)
    safe_label = forms.CharField(label=mark_safe("<em>Safe</em> label"), required=False)
    disabled = forms.CharField(required=False, disabled=True, initial="fixed")
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


def _both(form_factory) -> tuple[str, str]:
    """The form's fields and non-field errors, drawn by each renderer."""
    drawn = []
    for renderer in (DjangoTemplates(), PortalFormRenderer()):
        form = form_factory(renderer)
        form.is_valid()
        drawn.append(
            str(form.non_field_errors()) + "".join(str(field.as_field_group()) for field in form)
        )
    return drawn[0], drawn[1]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "text": HOSTILE,
            "asked": HOSTILE,
            "email": HOSTILE,
            "number": "0",
            "password": HOSTILE,
            "search": HOSTILE,
            "hidden": HOSTILE,
            "date": HOSTILE,
            "body": HOSTILE,
            "choice": HOSTILE,
            "grouped": "v2",
            "many": ["2"],
            "radio": "b",
        },
    ],
    ids=["unbound", "empty", "hostile"],
)
def test_every_kind_of_field_is_drawn_as_django_draws_it(data):
    django_html, portal_html = _both(lambda renderer: EveryWidget(data, renderer=renderer))
    assert portal_html == django_html
    assert "<script>" not in portal_html


def test_a_form_without_a_label_suffix_escapes_its_labels_itself():
    django_html, portal_html = _both(
        lambda renderer: EveryWidget({}, label_suffix="", renderer=renderer)
    )
    assert portal_html == django_html
    assert "<script>" not in portal_html


class NotText(forms.Form):
    """Choice labels and groups that are not text: the template localizes them."""

    when = forms.ChoiceField(
        required=False,
        choices=[
            ("d", datetime.date(2026, 1, 31)),
            ("t", datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC)),
            ("n", 20260),
            ("x", Decimal("1234.5")),
            (1000, [("g", "In a numbered group")]),
        ],
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_labels_that_are_dates_or_numbers_are_localized_as_the_template_does(settings, language):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override(language):
        django_html, portal_html = _both(lambda renderer: NotText({}, renderer=renderer))
    assert portal_html == django_html


class OptionsOfTheirOwn(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


class BareWidget(forms.Widget):
    """A widget that borrows the text input template without giving its `type`."""

    template_name = "django/forms/widgets/text.html"


class CustomWidgets(forms.Form):
    own_options = forms.ChoiceField(choices=[("a", "A")], widget=OptionsOfTheirOwn)
    bare = forms.CharField(widget=BareWidget)


def test_custom_widgets_on_these_templates_are_drawn_by_django():
    django_html, portal_html = _both(
        lambda renderer: CustomWidgets({"bare": "x"}, renderer=renderer)
    )
    assert portal_html == django_html
    assert "<option" not in portal_html  # the widget's own option template was used
    assert 'type=""' in portal_html  # and the missing type rendered empty, not a KeyError


def test_an_auto_id_turned_off_draws_no_label_tags_or_ids():
    django_html, portal_html = _both(
        lambda renderer: EveryWidget({"number": "x"}, auto_id=False, renderer=renderer)
    )
    assert portal_html == django_html


@pytest.mark.parametrize(
    "factory",
    [
        lambda r: NumberFilterForm({"q": "abc", "country": "GB"}, countries=["GB"], renderer=r),
        lambda r: NumberFilterForm({}, countries=[HOSTILE], renderer=r),
        lambda r: ActivityFilterForm({"since": "2026-02-01", "until": "2026-01-01"}, renderer=r),
        lambda r: CaseFilterForm({"q": HOSTILE, "state": "nonsense"}, renderer=r),
        lambda r: InviteForm({"email": "not an address", "role": "owner"}, renderer=r),
        lambda r: GeneralCaseForm({"subject": HOSTILE, "body": ""}, renderer=r),
        lambda r: CancelForm({"reason": HOSTILE}, number="+14155550123", renderer=r),
        lambda r: RoleForm({"role": HOSTILE}, renderer=r),
        lambda r: AcceptInvitationForm({"password1": "a"}, email="a@example.com", renderer=r),
        lambda r: FixForm({}, renderer=r),
        lambda r: BlockForm({"e164": HOSTILE}, renderer=r),
        lambda r: CallingModeForm({"mode": "voice"}, renderer=r),
        lambda r: SwitchForm({"on": "2"}, renderer=r),
        lambda r: AssignLicenseForm({"email": HOSTILE}, renderer=r),
        lambda r: ReplyForm({"body": ""}, renderer=r),
        lambda r: QuoteDeclineForm({"reason": HOSTILE}, renderer=r),
        lambda r: ArticleVoteForm({"helpful": "maybe", "comment": HOSTILE}, renderer=r),
        lambda r: CancellationRequestForm({"contact": HOSTILE}, held=5, renderer=r),
    ],
    ids=[
        "numbers",
        "numbers-hostile",
        "activity",
        "support",
        "invite",
        "new-case",
        "cancel",
        "role",
        "accept-invitation",
        "fix",
        "block",
        "calling-mode",
        "switch",
        "assign-license",
        "reply",
        "quote-decline",
        "article-vote",
        "cancellation-request",
    ],
)
def test_the_portals_forms_are_drawn_as_django_draws_them(factory):
    django_html, portal_html = _both(factory)
    assert portal_html == django_html


def test_the_portal_uses_it_and_draws_the_common_templates_in_python(settings):
    assert settings.FORM_RENDERER == "portal.form_renderer.PortalFormRenderer"
    # If Django renamed these templates, the Python versions would silently stop being
    # used: the page would still be right, only slower. This pins the names.
    assert {
        "django/forms/field.html",
        "django/forms/label.html",
        "django/forms/errors/list/default.html",
        "django/forms/widgets/select.html",
        "django/forms/widgets/text.html",
        "django/forms/widgets/textarea.html",
    } <= DRAWN_IN_PYTHON.keys()
    assert forms.Select.template_name == "django/forms/widgets/select.html"
    assert forms.TextInput.template_name == "django/forms/widgets/text.html"
    assert forms.Form.template_name_label == "django/forms/label.html"
