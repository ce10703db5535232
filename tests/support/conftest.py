"""Fixtures of the support tests: a catalog with one product per rule, and files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import PhoneNumberFactory, ProductFactory, SubscriptionFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    settings.ATTACHMENTS_DIR = tmp_path / "attachments"


def pdf(name: str = "invoice.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def text_file(name: str = "log.txt", size: int = 100) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"a" * size, content_type="text/plain")


@pytest.fixture
def catalog(db):
    """One product of each kind the support cases handle, with the demo's policies."""
    boost = ProductFactory(name="Jetpack Boost", jetpack=True, tier=1)
    surge = ProductFactory(name="Jetpack Surge", jetpack=True, tier=2)
    orbit = ProductFactory(name="Jetpack Orbit", jetpack=True, tier=3)
    boost.changeable_to.set([surge, orbit])
    surge.changeable_to.set([boost, orbit])
    return {
        "number": ProductFactory(name="Local business number"),
        "license": ProductFactory(name="User license", user_license=True),
        "contact_center": ProductFactory(name="Contact-center license", contact_center=True),
        "trunk": ProductFactory(name="SIP trunk", sip_trunk=True),
        "jetpack": boost,
        "surge": surge,
        "orbit": orbit,
        "call_insights": ProductFactory(name="Call Insights Essentials", call_insights=True),
    }


@pytest.fixture
def holdings(catalog, organization, owner):
    """What the test organization holds: a number, a license, 5 contact-center licenses,
    an initial UCaaS trunk, a Jetpack and a Call Insights plan."""
    number = PhoneNumberFactory(
        e164="+14155550123",
        subscription__organization=organization,
        subscription__product=catalog["number"],
    ).subscription
    return {
        "number": number,
        "license": SubscriptionFactory(
            organization=organization, product=catalog["license"], label="Seat 01"
        ),
        "contact_center": SubscriptionFactory(
            organization=organization, product=catalog["contact_center"], quantity=5
        ),
        "ucaas_trunk": SubscriptionFactory(
            organization=organization,
            product=catalog["trunk"],
            label="UCaaS primary",
            is_initial_ucaas_trunk=True,
        ),
        "trunk": SubscriptionFactory(
            organization=organization, product=catalog["trunk"], label="EU West"
        ),
        "jetpack": SubscriptionFactory(organization=organization, product=catalog["jetpack"]),
        "call_insights": SubscriptionFactory(
            organization=organization, product=catalog["call_insights"]
        ),
    }


@pytest.fixture
def account_manager(organization, staff):
    organization.account_manager = staff
    organization.save(update_fields=["account_manager"])
    return staff


def a3(**overrides) -> dict:
    """A complete cancellation request form (A3)."""
    return {
        "full_name": "Olive Owner",
        "company": "Acme Test Co (AC-200000)",
        "contact": "owner@test.example",
        "details": "",
        **overrides,
    }
