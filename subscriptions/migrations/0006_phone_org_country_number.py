"""Numbers filtered by country read their rows, count and digits from one index (built
before the narrower one it replaces is dropped)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organization_require_mfa"),
        ("subscriptions", "0005_subscription_org_product_label"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="phonenumber",
            index=models.Index(
                fields=["organization", "country", "e164"], name="phone_org_country_number"
            ),
        ),
        migrations.RemoveIndex(
            model_name="phonenumber",
            name="phone_org_country",
        ),
    ]
