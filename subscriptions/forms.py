"""Filter forms of the subscription pages."""

import re

from django import forms
from django.db.models import Q

from subscriptions.models import PhoneNumber, Subscription


class NumberFilterForm(forms.Form):
    q = forms.CharField(label="Search digits", required=False, max_length=32)
    country = forms.ChoiceField(label="Country", required=False)
    number_type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "Any type"), *PhoneNumber.NumberType.choices],
    )
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *Subscription.State.choices]
    )
    # A text search rather than a list of every member: teams run to hundreds.
    assigned = forms.CharField(label="Assigned to (name or e-mail)", required=False, max_length=254)
    assignment = forms.ChoiceField(
        label="Assignment",
        required=False,
        choices=[("", "Assigned or not"), ("assigned", "Assigned"), ("unassigned", "Not assigned")],
    )

    def __init__(self, *args, countries: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Any country")] + [(c, c) for c in countries]

    def clean_q(self):
        query = self.cleaned_data["q"]
        if query and not re.search(r"\d", query):
            raise forms.ValidationError("Search numbers by their digits, for example 4155.")
        return re.sub(r"\D", "", query)

    def filter(self, numbers):
        """Apply the valid filters to PhoneNumbers; an invalid form filters nothing away
        but says why. With nothing to apply it hands back `numbers` itself: Numbers then
        pages by the total it caches instead of counting."""
        if not self.is_valid():
            return numbers
        data = self.cleaned_data
        if data["q"]:
            numbers = numbers.filter(e164__contains=data["q"])
        if data["country"]:
            numbers = numbers.filter(country=data["country"])
        if data["number_type"]:
            numbers = numbers.filter(number_type=data["number_type"])
        if data["state"]:
            numbers = numbers.filter(subscription__state=data["state"])
        if data["assigned"].strip():
            who = data["assigned"].strip()
            numbers = numbers.filter(
                Q(subscription__assigned_to__email__icontains=who)
                | Q(subscription__assigned_to__full_name__icontains=who)
            )
        if data["assignment"] == "assigned":
            numbers = numbers.filter(subscription__assigned_to__isnull=False)
        elif data["assignment"] == "unassigned":
            numbers = numbers.filter(subscription__assigned_to__isnull=True)
        return numbers
