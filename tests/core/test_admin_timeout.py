"""Staff's queries never starve customers: an admin statement that runs past
ADMIN_STATEMENT_TIMEOUT_MS stops on PostgreSQL, staff are asked to narrow their search,
and customers' pages run without that limit."""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin import AuditEventAdmin
from core.audit import AuditAction, audit_record
from core.models import AuditEventQuerySet

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a statement timeout is PostgreSQL's"
)
SLOW = "(SELECT 1 FROM pg_sleep(0.5)) = 1"


@pytest.fixture
def slow_admin_search(monkeypatch):
    """The audit log's search, made deliberately slow (half a second of pg_sleep)."""
    search = AuditEventAdmin.get_search_results

    def slow(self, request, queryset, term):
        results, duplicates = search(self, request, queryset, term)
        return results.extra(where=[SLOW]), duplicates  # noqa: S610 (fixed SQL)

    monkeypatch.setattr(AuditEventAdmin, "get_search_results", slow)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_slow_admin_search_stops_and_asks_staff_to_narrow_it(
    client, staff, organization, owner, settings, slow_admin_search, caplog
):
    settings.ADMIN_STATEMENT_TIMEOUT_MS = 100
    audit_record(action=AuditAction.TEAM_INVITED, organization=organization, actor=owner)
    client.force_login(staff)
    changelist = reverse("admin:core_auditevent_changelist")
    with caplog.at_level(logging.WARNING, logger="portal.admin"):
        response = client.get(changelist, {"q": owner.email})
    assert response.status_code == 503
    assert "This search took too long" in response.content.decode()
    assert "Narrow it" in response.content.decode()
    assert [record.getMessage() for record in caplog.records if record.name == "portal.admin"] == [
        "admin statement timeout"
    ]
    # The connection is whole again: the next admin page and a customer's work.
    assert client.get(reverse("admin:index")).status_code == 200


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_customers_slow_page_runs_without_the_admin_limit(
    client_for, organization, owner, settings, monkeypatch
):
    settings.ADMIN_STATEMENT_TIMEOUT_MS = 100
    for_activity_page = AuditEventQuerySet.for_activity_page
    monkeypatch.setattr(
        AuditEventQuerySet,
        "for_activity_page",
        lambda self, org: for_activity_page(self, org).extra(where=[SLOW]),  # noqa: S610
    )
    audit_record(action=AuditAction.TEAM_INVITED, organization=organization, actor=owner)
    response = client_for(owner).get(reverse("activity"))
    assert response.status_code == 200
    assert "Invitation sent" in response.content.decode()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no statement timeout")
def test_on_sqlite_the_admin_statement_timeout_changes_nothing(client, staff, settings):
    settings.ADMIN_STATEMENT_TIMEOUT_MS = 100
    client.force_login(staff)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:core_auditevent_changelist"), {"q": staff.email})
    assert response.status_code == 200
    assert not any("statement_timeout" in query["sql"] for query in captured)
