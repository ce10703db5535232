"""The audit log and the e-mail outbox move to the `core` app: their tables are renamed
here, with every row; `core.0001_initial` takes over the models' state, and
`0006_hand_models_to_core` lets portal's go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_audit_org_action")]

    operations = [
        migrations.AlterModelTable(name="auditevent", table="core_auditevent"),
        migrations.AlterModelTable(name="outboundemail", table="core_outboundemail"),
    ]
