"""Portal no longer holds the audit log and the outbox: `core` does (state only: the
tables, renamed in 0005, stay as they are)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_move_tables_to_core"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="OutboundEmail"),
                migrations.DeleteModel(name="AuditEvent"),
            ]
        )
    ]
