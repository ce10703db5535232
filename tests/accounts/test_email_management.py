"""allauth's e-mail management (/accounts/email/): bad addresses get a form error."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("length", [255, 300, 10_000])
def test_an_address_over_254_characters_is_a_form_error_and_changes_nothing(
    client_for, member, mailoutbox, length
):
    client = client_for(member)
    before = list(EmailAddress.objects.values_list("email", flat=True))
    too_long = "a" * (length - len("@test.example")) + "@test.example"
    response = client.post(reverse("account_email"), {"action_add": "", "email": too_long})
    assert response.status_code == 200
    # Up to 320 characters the portal's error; beyond, Django's EmailField's own.
    errors = response.context["form"].errors["email"]
    assert any("at most" in error for error in errors)
    assert "at most" in response.content.decode()
    assert list(EmailAddress.objects.values_list("email", flat=True)) == before
    assert mailoutbox == []


def test_an_address_of_254_characters_is_added(client_for, member):
    client = client_for(member)
    longest = "a" * 63 + "." + "b" * (254 - 64 - len("@test.example")) + "@test.example"
    assert len(longest) == 254
    response = client.post(reverse("account_email"), {"action_add": "", "email": longest})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=member, email=longest).exists()
