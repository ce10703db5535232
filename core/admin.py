"""Staff see the audit log read-only; other admins record their changes in it."""

from django.contrib import admin
from django.db import transaction

from core.audit import audit_record
from core.http import client_ip
from core.models import AuditEvent, OutboundEmail
from core.org_cache import catalog_changed, organization_changed


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "actor_email", "action", "target_repr")
    list_filter = ("action", "created_at")
    search_fields = (
        "actor_email",
        "action",
        "target_repr",
        "organization__name",
        "organization__account_id",
    )
    list_select_related = ("organization",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_changed(organization) -> None:
    """What is cached about `organization` is stale once staff's change commits; a change
    of no organization's (the catalog's) makes every organization's stale."""
    if organization is None:
        catalog_changed()
    else:
        organization_changed(organization)


class AuditedAdmin(admin.ModelAdmin):
    """Records every save and delete made by staff in admin as an audit event."""

    def audit_organization(self, obj):
        return getattr(obj, "organization", None)

    def save_object(self, obj) -> None:
        """Save what staff changed; a model whose saving is a service's overrides this."""
        obj.save()

    def save_model(self, request, obj, form, change):
        self.save_object(obj)
        audit_record(
            action=f"admin.{obj._meta.model_name}_{'changed' if change else 'added'}",
            organization=self.audit_organization(obj),
            actor=request.user,
            target=obj,
            after={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
            ip_address=client_ip(request),
        )
        admin_changed(self.audit_organization(obj))
        if change and "organization" in form.changed_data:
            admin_changed(form.initial.get("organization"))  # the one it was moved from

    @transaction.atomic  # the event and the deletion together
    def delete_model(self, request, obj):
        admin_changed(self.audit_organization(obj))
        audit_record(
            action=f"admin.{obj._meta.model_name}_deleted",
            organization=self.audit_organization(obj),
            actor=request.user,
            target=obj,
            ip_address=client_ip(request),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The e-mail outbox: what was sent, and what waits for `send_outbox` and why."""

    list_display = ("created_at", "subject", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "template")
    search_fields = ("subject", "to")
    readonly_fields = [field.name for field in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
