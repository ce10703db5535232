"""Forms of the support pages: opening cases, replying, answering quotes, filtering."""

import uuid

from django import forms
from django.db.models import Q

from support.attachments import allowed_extensions, allowed_summary, check_upload
from support.models import Case, parse_reference

MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, each checked for its type, content and size."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Attachments")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Attach at most {MAX_FILES} files at once.")
        errors = []
        for upload in files:
            super().clean(upload, initial)
            try:
                check_upload(upload)
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors)
        return files


def attachments_field() -> AttachmentsField:
    accept = ",".join(f".{ext}" for ext in allowed_extensions())
    return AttachmentsField(
        help_text=f"Optional, up to {MAX_FILES} files: {allowed_summary()}.",
        widget=MultipleFileInput(attrs={"accept": accept}),
    )


class OnceForm(forms.Form):
    """Carries a one-time key: a second submit of the same form has no second effect."""

    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


def _required(label: str, message: str, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, error_messages={"required": message}, **kwargs)


class GeneralCaseForm(OnceForm):
    subject = _required("Subject", "Give your case a short subject.", max_length=200)
    body = _required(
        "How can we help?",
        "Tell us what you need.",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    origin = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"] = attachments_field()


class CancellationRequestForm(OnceForm):
    """Rule A3: who asks, for which company, how to reach them; each required."""

    full_name = _required("Full name", "Enter your full name.", max_length=150)
    company = _required(
        "Company name or account ID",
        "Enter your company name or account ID.",
        max_length=200,
    )
    contact = _required(
        "Contact information",
        "Enter how we can reach you: an e-mail address or phone number.",
        max_length=254,
        help_text="An e-mail address or phone number where we can reach you.",
    )
    details = forms.CharField(
        label="Anything else we should know",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, held: int | None = None, minimum: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        if held is not None and held > 1:
            # A11: a partial cancellation says how many stay; 0 cancels all of them.
            self.fields["keep_quantity"] = forms.IntegerField(
                label="Licenses to keep",
                min_value=0,
                max_value=held - 1,
                initial=0,
                help_text=f"You hold {held}. Enter 0 to cancel all {held}, or keep "
                f"{minimum} or more.",
                error_messages={
                    "required": f"Enter how many to keep: 0 cancels all {held}.",
                    "max_value": f"You hold {held}: keep fewer than {held}, or 0 to cancel "
                    "them all.",
                    "min_value": "Enter 0 or more.",
                },
            )
            self.order_fields(["keep_quantity"])
        self.fields["attachments"] = attachments_field()

    def clean_full_name(self):
        return self._not_blank("full_name", "Enter your full name.")

    def clean_company(self):
        return self._not_blank("company", "Enter your company name or account ID.")

    def clean_contact(self):
        return self._not_blank("contact", "Enter how we can reach you.")

    def _not_blank(self, name: str, message: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            raise forms.ValidationError(message)
        return value


class ChangeRequestForm(OnceForm):
    """A change sent to a person: a plan or cancellation quote from the account manager,
    more licenses, or a new number."""

    CANCEL = "cancel"

    body = forms.CharField(
        label="What do you need?",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(
        self, *args, plans=(), can_cancel: bool = False, held: int | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if plans or can_cancel:
            choices = [(str(plan.pk), f"Change to {plan.name}") for plan in plans]
            if can_cancel:
                choices.append((self.CANCEL, "Cancel it"))
            self.fields["wanted"] = forms.ChoiceField(
                label="What would you like a quote for?",
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose what the quote should cover."},
            )
        if held is not None:
            self.fields["quantity"] = forms.IntegerField(
                label="How many would you like to hold?",
                min_value=held + 1,
                max_value=10_000,
                help_text=f"You hold {held} now.",
                error_messages={
                    "required": "Enter how many you would like to hold.",
                    "min_value": f"You hold {held}: ask for more than {held}. To hold fewer, "
                    "request a cancellation of some instead.",
                },
            )
        self.order_fields(["wanted", "quantity", "body"])
        self.fields["attachments"] = attachments_field()


class ReplyForm(OnceForm):
    body = _required(
        "Your reply",
        "Write your reply first.",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"] = attachments_field()


class QuoteDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why not? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CaseFilterForm(forms.Form):
    q = forms.CharField(label="Reference or subject", required=False, max_length=200)
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[
            ("", "Any state"),
            ("active", "Not done yet (open, pending, in progress)"),
            *Case.State.choices,
        ],
    )
    kind = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any type"), *Case.Kind.choices]
    )

    def filter(self, cases):
        """Apply the valid filters; an invalid form filters nothing away but says why.
        With nothing to filter, `cases` itself comes back (the dashboard relies on it)."""
        if not self.is_valid():
            return cases
        data = self.cleaned_data
        query = data["q"].strip()
        if query:
            number = parse_reference(query)
            matches = Q(subject__icontains=query)
            cases = cases.filter(matches | Q(pk=number) if number is not None else matches)
        if data["state"] == "active":
            cases = cases.active()
        elif data["state"]:
            cases = cases.filter(state=data["state"])
        if data["kind"]:
            cases = cases.filter(kind=data["kind"])
        return cases


class ArticleVoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label="Was this article helpful?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
