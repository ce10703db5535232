"""Stored text renders inert: hostile names, labels and messages appear as text everywhere."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from core.audit import audit_record
from subscriptions.models import Product, Subscription
from support.models import Case, Message
from tests.conftest import reauthenticate
from tests.security.test_routes import FORM, PAGE, ROUTES, make_estate

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "{{ request.user.password }}",
]
PAYLOAD = " ".join(PAYLOADS)
DANGEROUS = ["<script>alert(", "<img src=x onerror", "<svg onload", 'href="javascript:']


def plant(organization, member) -> None:
    """Put the payloads in every place a customer or staff can write text."""
    Organization.objects.filter(pk=organization.pk).update(name=f"Org {PAYLOAD}"[:200])
    User.objects.filter(pk=member.pk).update(full_name=f"Mia {PAYLOAD}"[:150])
    Subscription.objects.filter(organization=organization).update(label=PAYLOAD[:120])
    for product in Product.objects.filter(subscriptions__organization=organization).distinct():
        product.name = f"{product.pk} {PAYLOAD}"[:120]  # names are unique
        product.save(update_fields=["name"])
    Case.objects.filter(organization=organization).update(subject=PAYLOAD[:200])
    Message.objects.filter(case__organization=organization).update(body=PAYLOAD)
    audit_record(
        action="team.invited", organization=organization, actor=member, after={"email": PAYLOAD}
    )


def test_every_page_shows_stored_payloads_as_text(organization, owner, member, tmp_path, settings):
    estate = make_estate(organization, member, tmp_path, settings)
    plant(organization, member)
    client = Client()
    client.force_login(owner)
    reauthenticate(client)
    pages = 0
    for name, route in sorted(ROUTES.items()):
        if route.kind not in (PAGE, FORM) or name in ("attachment_download", "numbers_csv"):
            continue
        response = client.get(reverse(name, args=[estate[key] for key in route.objects]))
        assert response.status_code == 200, name
        body = response.content.decode()
        for dangerous in DANGEROUS:
            assert dangerous not in body, f"{name} renders {dangerous!r} as markup"
        pages += 1
    assert pages >= 20
    # And they are there, as text.
    assert "&lt;script&gt;alert(" in client.get(reverse("team")).content.decode()


def test_the_csv_export_neutralises_formulas_in_stored_text(
    organization, owner, member, tmp_path, settings
):
    make_estate(organization, member, tmp_path, settings)
    number = Subscription.objects.filter(
        organization=organization, phone_number__isnull=False
    ).first()
    Product.objects.filter(pk=number.product_id).update(name="=cmd|'/C calc'!A0")
    client = Client()
    client.force_login(owner)
    body = client.get(reverse("numbers_csv")).content.decode()
    assert "'=cmd|" in body
    assert ",=cmd|" not in body
