"""Portal no longer holds the audit log and the outbox: `core` does (state only: the
tables and every row stay as they are)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_audit_org_action"),
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
