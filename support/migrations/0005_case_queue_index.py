"""Indexes for staff's admin lists, newest first across organizations, built without
locking the table for writes on PostgreSQL (`core.migration_operations`)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # PostgreSQL builds an index concurrently only outside a transaction

    dependencies = [
        ("support", "0004_case_subject_trigram"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(fields=["-updated_at", "-id"], name="case_queue_recent"),
        ),
    ]
