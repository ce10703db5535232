"""Logs are JSON lines without secrets; errors get friendly pages; a lost database gets 503."""

import json
import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from core.observability import JsonFormatter
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def json_lines(caplog, logger_name):
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger_name]


def test_each_request_is_one_json_line_with_its_id_user_and_organization(
    client_for, organization, owner, caplog
):
    client = client_for(owner)
    with caplog.at_level(logging.INFO, logger="portal.requests"):
        response = client.get(
            reverse("numbers") + "?q=4155", headers={"X-Request-ID": "abc-123-xyz"}
        )
    (line,) = [
        entry
        for entry in json_lines(caplog, "portal.requests")
        if entry["path"] == reverse("numbers")
    ]
    assert response["X-Request-ID"] == "abc-123-xyz"
    assert line["request_id"] == "abc-123-xyz"
    assert line["user_id"] == owner.pk
    assert line["organization_id"] == organization.pk
    assert line["status"] == 200
    assert "q=" not in json.dumps(line)
    assert isinstance(line["duration_ms"], float)


def test_a_forged_request_id_is_replaced(client):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "<script>"})
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32


def test_sign_in_failures_are_logged_without_the_password(client, member, caplog):
    with caplog.at_level(logging.INFO, logger="portal.events"):
        client.post(reverse("account_login"), {"login": member.email, "password": "hunter2-wrong"})
        client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    lines = json_lines(caplog, "portal.events")
    messages = [line["message"] for line in lines]
    assert "sign-in failed" in messages and "sign-in" in messages
    text = json.dumps(lines)
    assert "hunter2-wrong" not in text and PASSWORD not in text


def test_secret_looking_fields_are_redacted():
    record = logging.makeLogRecord(
        {"msg": "x", "password": "p", "token": "t", "recovery_code": "c", "user_id": 7}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["password"] == line["token"] == line["recovery_code"] == "[redacted]"
    assert line["user_id"] == 7


def test_refusals_are_logged(client_for, organization, member, caplog):
    from tests.factories import ProductFactory, SubscriptionFactory

    license_ = SubscriptionFactory(
        organization=organization, assigned_to=member, product=ProductFactory(user_license=True)
    )
    with caplog.at_level(logging.INFO, logger="portal.events"):
        client_for(member).post(
            reverse("subscription_cancel", args=[license_.pk]), {"reason": "other"}
        )
    assert any(
        line["message"] == "refused" and "Super Admins" in line["reason"]
        for line in json_lines(caplog, "portal.events")
    )


def test_not_found_is_a_friendly_page_in_the_layout(client_for, owner):
    response = client_for(owner).get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Not found" in content and "Contact support" in content


def test_a_lost_database_answers_503_with_a_friendly_page(owner, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch(
        "portal.views.Membership.objects.filter", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "briefly unavailable" in response.content.decode()


def test_any_other_error_is_a_friendly_500(owner, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch("portal.views.Membership.objects.filter", side_effect=ValueError("bug")):
        response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
