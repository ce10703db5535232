"""Forms of the self-service actions (cancel, change plan, block, change number, assign)."""

from django import forms

from subscriptions.models import (
    E164_VALIDATOR,
    CancellationReason,
    PhoneNumber,
    Product,
    SpareNumber,
)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you cancelling?",
        choices=[("", "Choose a reason"), *CancellationReason.choices],
    )
    detail = forms.CharField(
        label="Anything you'd like us to know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, number: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if number:
            # Irreversible: the member types the number they are about to lose.
            self.fields["confirm_number"] = forms.CharField(
                label=f"Type the line's number, {number}, to confirm",
                max_length=32,
                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            )
            self.number = number

    def clean_confirm_number(self):
        typed = "".join(ch for ch in self.cleaned_data["confirm_number"] if ch.isdigit())
        if typed != self.number.lstrip("+"):
            raise forms.ValidationError(f"That is not {self.number}. Type it exactly.")
        return self.cleaned_data["confirm_number"]


class FixForm(forms.Form):
    fix = forms.CharField(max_length=32)
    reason = forms.ChoiceField(required=False, choices=[("", ""), *CancellationReason.choices])


class ChangePlanForm(forms.Form):
    product = forms.ModelChoiceField(
        label="New plan",
        queryset=Product.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = options


class BlockForm(forms.Form):
    e164 = forms.CharField(
        label="Number to block",
        max_length=20,
        help_text="In international format, for example +14155550123.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def clean_e164(self):
        value = "".join(ch for ch in self.cleaned_data["e164"] if ch.isdigit() or ch == "+")
        E164_VALIDATOR(value)
        return value


class CallingModeForm(forms.Form):
    mode = forms.ChoiceField(choices=PhoneNumber.CallingMode.choices)


class SwitchForm(forms.Form):
    on = forms.TypedChoiceField(choices=[("1", "On"), ("0", "Off")], coerce=lambda v: v == "1")


class ChangeNumberForm(forms.Form):
    spare = forms.ModelChoiceField(
        label="New number",
        queryset=SpareNumber.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spare"].queryset = options


class AssignLicenseForm(forms.Form):
    email = forms.EmailField(
        label="Assign to (e-mail of a member)",
        required=False,
        max_length=254,
        help_text="Leave empty to free the license.",
    )
