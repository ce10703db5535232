"""The Support search's trigram index (migration support 0004), PostgreSQL only.

Tests run without migrations, so these apply the migration's own functions.
"""

import importlib

import pytest
from django.db import connection

from support.models import Case

migration = importlib.import_module("support.migrations.0004_case_subject_trigram")


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index")
def test_the_subject_search_can_use_the_trigram_index():
    with connection.schema_editor() as editor:
        migration.create_index(None, editor)
    with connection.cursor() as cursor:
        # With no sequential scan to choose, the planner takes any index that serves
        # the search: only one on the ORM's very expression, UPPER(subject::text), does.
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert migration.INDEX in _plan(Case.objects.filter(subject__icontains="porting"))

    with connection.schema_editor() as editor:
        migration.drop_index(None, editor)
    assert migration.INDEX not in _plan(Case.objects.filter(subject__icontains="porting"))


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an open transaction
@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite side")
def test_on_sqlite_the_migration_changes_nothing():
    with connection.schema_editor() as editor:
        migration.create_index(None, editor)
        migration.drop_index(None, editor)
    assert Case.objects.filter(subject__icontains="porting").count() == 0
