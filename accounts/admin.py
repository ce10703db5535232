"""Staff manage users, organizations, memberships and invitations here."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from accounts.models import Invitation, Membership, Organization, Role, User
from accounts.services import membership_change_role_by_staff
from core.admin import AuditedAdmin, audit_inline, audit_inline_deletions
from core.errors import ActionRefused
from core.http import client_ip

LAST_SUPER_ADMIN = "An organization always keeps at least one Super Admin."


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    """Staff edit memberships inline; the organization must keep a Super Admin."""

    def clean(self):
        super().clean()
        if self.instance.pk is None:
            return
        remaining = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not any(data.get("role") == Role.SUPER_ADMIN for data in remaining):
            raise forms.ValidationError(LAST_SUPER_ADMIN)


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


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
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

    def save_formset(self, request, form, formset, change):
        """Memberships staff add or delete inline are recorded as admin's; a role they
        change is `membership_change_role_by_staff`'s, as in the Membership admin: the same
        rule, event ("Role changed") and e-mail to the member."""
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        organization = form.instance
        new_roles = {}
        for inline_form in formset.initial_forms:
            if "role" in inline_form.changed_data and inline_form not in formset.deleted_forms:
                new_roles[inline_form.instance] = inline_form.cleaned_data["role"]
                inline_form.instance.role = inline_form.initial["role"]  # the service's
        try:
            with transaction.atomic():
                audit_inline_deletions(request, formset, organization=organization)
                formset.save()
                audit_inline(
                    request, formset, organization=organization, recorded_elsewhere=("role",)
                )
                # Promotions first, so an organization is never left without a Super Admin.
                for membership, role in sorted(
                    new_roles.items(), key=lambda item: item[1] != Role.SUPER_ADMIN
                ):
                    membership_change_role_by_staff(
                        membership=membership,
                        role=role,
                        staff=request.user,
                        ip_address=client_ip(request),
                    )
        except ActionRefused as refusal:
            self.message_user(
                request, f"The memberships were not changed: {refusal.message}", messages.ERROR
            )


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    form = MembershipAdminForm
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name", "organization__account_id")
    list_select_related = ("user", "organization")
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
class InvitationAdmin(AuditedAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("role",)
    search_fields = ("email", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = ("token",)
