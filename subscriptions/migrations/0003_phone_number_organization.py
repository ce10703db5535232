"""Copy each number's organization onto it, for the Numbers page's index (see PhoneNumber)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_organization(apps, schema_editor):
    PhoneNumber = apps.get_model("subscriptions", "PhoneNumber")
    Subscription = apps.get_model("subscriptions", "Subscription")
    PhoneNumber.objects.update(
        organization_id=Subquery(
            Subscription.objects.filter(pk=OuterRef("subscription_id")).values("organization_id")
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("subscriptions", "0002_spare_numbers_and_cancellation_feedback"),
    ]

    operations = [
        migrations.AddField(
            model_name="phonenumber",
            name="organization",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.RunPython(copy_organization, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="phonenumber",
            name="organization",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AddIndex(
            model_name="phonenumber",
            index=models.Index(fields=["organization", "e164"], name="phone_org_number"),
        ),
        migrations.AddIndex(
            model_name="phonenumber",
            index=models.Index(fields=["organization", "country"], name="phone_org_country"),
        ),
    ]
