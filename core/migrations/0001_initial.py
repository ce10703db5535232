"""The audit log and the e-mail outbox, moved here from the `portal` app.

The tables keep their names (`portal_auditevent`, `portal_outboundemail`): this only
takes over the models' state, so workers still running the release before go on writing
to the same tables while a deploy migrates. Their content types (and with them staff's
permissions and admin history) move to this app. On a new database portal's first
migrations build the tables, as before.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("auditevent", "outboundemail"):
        old = content_type.objects.using(db).filter(app_label="portal", model=model)
        # A type made for `core` meanwhile (nothing refers to it yet) gives way to the old one,
        # which permissions and admin history refer to.
        if old.exists():
            content_type.objects.using(db).filter(app_label="core", model=model).delete()
            old.update(app_label="core")


def move_content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("auditevent", "outboundemail"):
        content_type.objects.using(db).filter(app_label="core", model=model).update(
            app_label="portal"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_organization_require_mfa"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0004_audit_org_action"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboundEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("template", models.CharField(max_length=64)),
                        ("to", models.JSONField(default=list)),
                        ("subject", models.CharField(max_length=300)),
                        ("body_text", models.TextField()),
                        ("body_html", models.TextField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                    ],
                    options={
                        "db_table": "portal_outboundemail",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)),
                                fields=["created_at"],
                                name="outbox_waiting",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("actor_email", models.EmailField(blank=True, max_length=254)),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("target_type", models.CharField(blank=True, max_length=64)),
                        ("target_id", models.CharField(blank=True, max_length=64)),
                        ("target_repr", models.CharField(blank=True, max_length=200)),
                        ("before", models.JSONField(blank=True, default=dict)),
                        ("after", models.JSONField(blank=True, default=dict)),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_events",
                                to="accounts.organization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "portal_auditevent",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["organization", "-created_at"], name="audit_org_recent"
                            ),
                            models.Index(
                                fields=["organization", "action"], name="audit_org_action"
                            ),
                        ],
                    },
                ),
            ]
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
