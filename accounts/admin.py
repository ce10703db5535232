"""Staff manage users, organizations, memberships and invitations here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Invitation, Membership, Organization, User
from portal.admin import AuditedAdmin


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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "account_id", "account_manager", "created_at")
    search_fields = ("name", "account_id")
    list_select_related = ("account_manager",)
    inlines = [MembershipInline]

    def audit_organization(self, obj):
        return obj


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name", "organization__account_id")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("role",)
    search_fields = ("email", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = ("token",)
