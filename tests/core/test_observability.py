"""Logs are JSON lines without secrets; errors get friendly pages; a lost database gets 503."""

import json
import logging
import time
from unittest import mock

import pytest
from django.db import OperationalError, connection
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
    secrets = {
        "password": "p",
        "token": "t",
        "recovery_code": "c",
        "code": "123456",
        "api_key": "k",
        "client_secret": "s",
        "session_key": "x",
    }
    record = logging.makeLogRecord({"msg": "x", **secrets, "user_id": 7})
    line = json.loads(JsonFormatter().format(record))
    assert all(line[name] == "[redacted]" for name in secrets)
    assert line["user_id"] == 7


def test_a_status_code_or_an_add_on_code_is_no_secret_and_is_logged():
    # Django's own records (django.request, django.server) carry the response's status;
    # admin's audit events of a product carry its add-on code.
    record = logging.makeLogRecord(
        {"msg": "x", "status_code": 503, "country_code": "GB", "addon_code": "REC-1"}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["status_code"] == 503
    assert line["country_code"] == "GB"
    assert line["addon_code"] == "REC-1"


def test_sign_in_reauthentication_and_mfa_lines_carry_the_client_address_not_the_balancers(
    member, settings, caplog, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    settings.TRUSTED_CLIENT_IP_HEADER = "X-Forwarded-For"
    client = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    with caplog.at_level(logging.INFO, logger="portal.events"):
        client.post(reverse("account_login"), {"login": member.email, "password": "wrong-one"})
        client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        client.get(reverse("mfa_activate_totp"))
        secret = client.session["mfa.totp.secret"]
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        with django_capture_on_commit_callbacks(execute=True):  # allauth signals on commit
            client.post(reverse("mfa_activate_totp"), {"code": code})
    lines = {line["message"]: line for line in json_lines(caplog, "portal.events")}
    for message in ("sign-in failed", "sign-in", "reauthenticated", "mfa added"):
        assert lines[message]["ip"] == "203.0.113.7", message


def test_every_request_gets_its_log_line_while_the_database_is_down(owner, settings, caplog):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with (
        mock.patch.object(
            connection, "ensure_connection", side_effect=OperationalError("connection refused")
        ),
        caplog.at_level(logging.INFO, logger="portal.requests"),
    ):
        response = client.get(reverse("home"))
    assert response.status_code == 503
    (line,) = json_lines(caplog, "portal.requests")
    assert line["path"] == reverse("home")
    assert line["status"] == 503
    assert line["user_id"] is None


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
