"""Indexes for staff's admin lists, newest first across organizations, built without
locking the table for writes on PostgreSQL (`core.migration_operations`)."""

from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # PostgreSQL builds an index concurrently only outside a transaction

    dependencies = [
        ("accounts", "0003_organization_require_mfa"),
        ("core", "0005_job_runs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["-created_at", "-id"], name="audit_recent"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["actor_email", "-created_at"], name="audit_actor_recent"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["action", "-created_at"], name="audit_action_recent"),
        ),
        AddIndexConcurrently(
            model_name="outboundemail",
            index=models.Index(fields=["-created_at", "-id"], name="outbox_recent"),
        ),
    ]
