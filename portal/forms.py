"""Filter forms of the portal's own pages."""

from django import forms


class ActivityFilterForm(forms.Form):
    action = forms.CharField(label="Action", required=False, max_length=64)
    actor = forms.CharField(label="Who (e-mail)", required=False, max_length=254)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date comes before the start date.")
        return cleaned

    def filter(self, events):
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["actor"]:
            events = events.filter(actor_email__icontains=data["actor"].strip())
        if data["since"]:
            events = events.filter(created_at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(created_at__date__lte=data["until"])
        return events
