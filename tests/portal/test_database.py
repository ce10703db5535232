"""PostgreSQL keeps the plans of the queries a connection repeats (prepared statements)."""

import pytest
from django.db import connection

from accounts.models import Membership

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None,
        reason="PostgreSQL with DATABASE_PREPARED_STATEMENTS on",
    ),
]


def test_postgresql_prepares_a_query_the_portal_repeats(member):
    # An order no other test asks for: its statement is this test's own.
    order = 'ORDER BY "accounts_membership"."created_at" DESC, "accounts_membership"."id" DESC'

    def prepared() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return any(order in statement for (statement,) in cursor.fetchall())

    assert not prepared()
    for _ in range(3):
        list(Membership.objects.filter(user=member).order_by("-created_at", "-id"))
    assert prepared()
