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

    def filter(self, subscriptions):
        """Apply the valid filters; an invalid form filters nothing away but says why."""
        if not self.is_valid():
            return subscriptions
        data = self.cleaned_data
        if data["q"]:
            subscriptions = subscriptions.filter(phone_number__e164__contains=data["q"])
        if data["country"]:
            subscriptions = subscriptions.filter(phone_number__country=data["country"])
        if data["number_type"]:
            subscriptions = subscriptions.filter(phone_number__number_type=data["number_type"])
        if data["state"]:
            subscriptions = subscriptions.filter(state=data["state"])
        if data["assigned"].strip():
            who = data["assigned"].strip()
            subscriptions = subscriptions.filter(
                Q(assigned_to__email__icontains=who) | Q(assigned_to__full_name__icontains=who)
            )
        if data["assignment"] == "assigned":
            subscriptions = subscriptions.filter(assigned_to__isnull=False)
        elif data["assignment"] == "unassigned":
            subscriptions = subscriptions.filter(assigned_to__isnull=True)
        return subscriptions
