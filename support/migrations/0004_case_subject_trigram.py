"""A trigram index for the Support page's search by subject, on PostgreSQL only.

The search is `subject__icontains`, which PostgreSQL runs as
UPPER(subject::text) LIKE UPPER('%words%'): no B-tree index can serve a substring, so
it read every case of the organization. A pg_trgm GIN index on that same expression
can. SQLite has no such index; there this migration does nothing. The extension is
"trusted" since PostgreSQL 13, so a database owner may create it; where the database
user may not, the migration says so and goes on without the index (search still works,
only slower).
"""

import sys

from django.db import DatabaseError, migrations, transaction

INDEX = "case_subject_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        sys.stderr.write(
            f"\n  No {INDEX} index: the pg_trgm extension is not available ({error}).\n"
        )
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON support_case "
        "USING gin ((UPPER(subject::text)) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("support", "0003_case_dashboard_order")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
