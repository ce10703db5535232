"""An organization's events of one action, newest first, from one index (the number
changes of a period read it), built and dropped without locking the table for writes on
PostgreSQL (`core.migration_operations`)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # PostgreSQL builds and drops an index concurrently only outside a transaction

    dependencies = [("core", "0006_staff_list_indexes")]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(
                fields=["organization", "action", "-created_at"], name="audit_org_action_recent"
            ),
        ),
        RemoveIndexConcurrently(model_name="auditevent", name="audit_org_action"),
    ]
