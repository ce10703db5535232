"""Indexes for staff's admin lists, newest first across organizations, built without
locking the table for writes on PostgreSQL (`core.migration_operations`)."""

from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # PostgreSQL builds an index concurrently only outside a transaction

    dependencies = [
        ("subscriptions", "0006_phone_org_country_number"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="cancellationfeedback",
            index=models.Index(fields=["-created_at", "-id"], name="feedback_recent"),
        ),
    ]
