"""Faults survived: the database refusing connections, then coming back."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_portal_answers_503_while_the_database_is_down_and_recovers_by_itself(owner, settings):
    if connection.vendor != "postgresql":
        pytest.skip("connections are refused only by a database server (PostgreSQL)")
    settings.DEBUG = False
    balancer = Client()  # the load balancer's health check carries no session
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    assert client.get(reverse("home")).status_code == 200
    events = AuditEvent.objects.count()

    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        page = client.get(reverse("home"))
        assert page.status_code == 503
        assert "briefly unavailable" in page.content.decode()
        health = balancer.get(reverse("healthz"))
        assert health.status_code == 503
        assert health.json()["database"] == "unavailable"
        change = client.post(reverse("outbound_recording"), {"on": "1"})
        assert change.status_code == 503
    finally:
        connection.close()
        connection.settings_dict.update(original)

    # The database is back: no restart, the next request simply works.
    assert client.get(reverse("home")).status_code == 200
    assert balancer.get(reverse("healthz")).status_code == 200
    assert AuditEvent.objects.count() == events
    owner.memberships.first().organization.refresh_from_db()
    assert owner.memberships.first().organization.outbound_call_recording is False
