"""allauth's e-mail management (/accounts/email/) and e-mails: bad addresses get a form
error, links start with PORTAL_BASE_URL."""

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


def test_the_reset_link_starts_with_the_portal_address_whatever_the_host(
    client, member, settings, mailoutbox
):
    settings.ALLOWED_HOSTS = ["portal.example", "other.example"]
    settings.PORTAL_BASE_URL = "https://portal.example"
    response = client.post(
        reverse("account_reset_password"), {"email": member.email}, HTTP_HOST="other.example"
    )
    assert response.status_code == 302
    [email] = mailoutbox
    [link] = [word for word in email.body.split() if "/password/reset/key/" in word]
    assert link.startswith("https://portal.example/accounts/password/reset/key/")
    assert "other.example" not in email.body
    # The link works.
    opened = client.get(link.removeprefix("https://portal.example"), HTTP_HOST="portal.example")
    assert opened.status_code == 302
    assert client.get(opened.url, HTTP_HOST="portal.example").status_code == 200
    # An address without an account gets its e-mail, with the portal's links, too.
    client.post(
        reverse("account_reset_password"),
        {"email": "nobody@test.example"},
        HTTP_HOST="other.example",
    )
    [_, unknown] = mailoutbox
    assert unknown.to == ["nobody@test.example"]
    assert "https://portal.example/" in unknown.body
    assert "other.example" not in unknown.body


def test_the_confirmation_link_starts_with_the_portal_address_whatever_the_host(
    client_for, member, settings, mailoutbox
):
    settings.ALLOWED_HOSTS = ["portal.example", "other.example", "testserver"]
    settings.PORTAL_BASE_URL = "https://portal.example"
    client = client_for(member)
    response = client.post(
        reverse("account_email"),
        {"action_add": "", "email": "second@test.example"},
        HTTP_HOST="other.example",
    )
    assert response.status_code == 302
    [email] = mailoutbox
    [link] = [word for word in email.body.split() if "/confirm-email/" in word]
    assert link.startswith("https://portal.example/accounts/confirm-email/")
    assert "other.example" not in email.body
