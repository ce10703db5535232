"""Staff manage users, organizations, memberships and invitations here."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from accounts.models import Invitation, Membership, Organization, Role, User
from accounts.services import membership_change_role_by_staff
from core.admin import AuditedAdmin, TypedSearchAdmin
from core.errors import ActionRefused
from core.http import client_ip

LAST_SUPER_ADMIN = "An organization always keeps at least one Super Admin."


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "organization", "role"]

    def clean(self):
        cleaned = super().clean()
        current = self.instance
        if (
            current.pk
            and current.role == Role.SUPER_ADMIN
            and (
                cleaned.get("role") != Role.SUPER_ADMIN
                or cleaned.get("organization") != current.organization
            )
            and not Membership.objects.super_admins()
            .filter(organization_id=current.organization_id)
            .exclude(pk=current.pk)
            .exists()
        ):
            raise forms.ValidationError(LAST_SUPER_ADMIN)
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin, AuditedAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "last_login")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "phone")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )

    def audit_organization(self, obj):
        return None


@admin.register(Organization)
class OrganizationAdmin(TypedSearchAdmin, AuditedAdmin):
    """An organization's own fields. Its members and subscriptions (hundreds at a provider)
    are not inlines but counted links to their own paged, searchable lists, where a role is
    changed through `membership_change_role_by_staff` (the Membership admin)."""

    change_form_template = "admin/accounts/organization/change_form.html"
    list_display = ("name", "account_id", "account_manager", "created_at")
    search_paths = {"account_id": "account_id", "text": "name__istartswith"}
    search_fields = tuple(search_paths.values())  # other admins' autocomplete needs them
    search_help_text = "An account ID (AC-123456) or the beginning of the name."
    list_select_related = ("account_manager",)

    def audit_organization(self, obj):
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        organization = self.get_object(request, object_id)
        related = {}
        if organization is not None:
            related = {
                "members": organization.memberships.count(),
                "subscriptions": organization.subscriptions.count(),
            }
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "related": related}
        )


@admin.register(Membership)
class MembershipAdmin(TypedSearchAdmin, AuditedAdmin):
    """Every membership, an organization's found by its account ID (the Organization page
    links here); staff change a member's role here."""

    form = MembershipAdminForm
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_paths = {
        "account_id": "organization__account_id",
        "email": "user__email",
        "text": "user__full_name__istartswith",
    }
    search_help_text = "An account ID (AC-123456), an e-mail address or the beginning of a name."
    list_select_related = ("user", "organization")
    ordering = ("-pk",)  # not by organization name: a sort of every membership
    autocomplete_fields = ("user", "organization")
    recorded_elsewhere = ("role",)

    def save_model(self, request, obj, form, change):
        """A changed role is `membership_change_role_by_staff`'s: the rule, the event
        ("Role changed") and the e-mail to the member are those of the team page."""
        if not (change and "role" in form.changed_data):
            return super().save_model(request, obj, form, change)
        role = obj.role
        obj.role = form.initial["role"]
        try:
            with transaction.atomic():
                if set(form.changed_data) - {"role"}:
                    super().save_model(request, obj, form, change)  # without the role
                membership_change_role_by_staff(
                    membership=obj, role=role, staff=request.user, ip_address=client_ip(request)
                )
        except ActionRefused as refusal:
            self.message_user(request, f"Nothing was changed: {refusal.message}", messages.ERROR)
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        # The last Super Admin of an organization cannot be deleted here either.
        if (
            obj is not None
            and obj.role == Role.SUPER_ADMIN
            and not Membership.objects.super_admins()
            .filter(organization_id=obj.organization_id)
            .exclude(pk=obj.pk)
            .exists()
        ):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Invitation)
class InvitationAdmin(TypedSearchAdmin, AuditedAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("role",)
    search_paths = {"account_id": "organization__account_id", "email": "email"}
    search_help_text = "An account ID (AC-123456) or an e-mail address."
    list_select_related = ("organization",)
    readonly_fields = ("token",)
