"""Staff see the audit log read-only; other admins record their changes in it. Lists of
tables that grow without bound search what staff type with exact or prefix lookups."""

import re

from django import forms
from django.contrib import admin
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from core.audit import AuditAction, audit_record
from core.http import client_ip
from core.models import AuditEvent, JobFailure, JobRun, OutboundEmail
from core.observability import SECRET_NAME
from core.org_cache import catalog_changed, organization_changed

# What an event keeps of a secret staff typed or changed: that it changed, never its value.
REDACTED = "[redacted]"


# What staff type in a search box, recognised by its shape.
REFERENCE = re.compile(r"^CS-?0*(\d{1,9})$", re.IGNORECASE)
ACCOUNT_ID = re.compile(r"^AC-?(\d{6})$", re.IGNORECASE)
NUMBER = re.compile(r"^\+?[\d\s().-]{3,20}$")
BARE_DIGITS = re.compile(r"^\d{1,9}$")


def typed_search(term: str, paths: dict[str, str]) -> models.Q | None:
    """The one lookup `term` asks for, by its shape: a case reference (CS-000123), an
    account ID (AC-123456), an e-mail address, the digits of a number (a prefix of the
    E.164 number), or else text. `paths` maps each kind the list offers ("reference",
    "account_id", "email", "number", "text") to its lookup; each is one exact or prefix
    lookup on an indexed column, never a `LIKE '%...%'` ORed across tables, which reads
    every row of a table of millions. None: the term is of no kind the list offers."""
    term = term.strip()
    digits_only = bool(BARE_DIGITS.match(term))
    reference = REFERENCE.match(term)
    if "reference" in paths and (reference or (digits_only and "number" not in paths)):
        return models.Q(**{paths["reference"]: int(re.sub(r"\D", "", term))})
    account = ACCOUNT_ID.match(term)
    if "account_id" in paths and (
        account or (len(term) == 6 and digits_only and "number" not in paths)
    ):
        return models.Q(**{paths["account_id"]: f"AC-{re.sub(r'\D', '', term)}"})
    if "@" in term and "email" in paths:
        return models.Q(**{f"{paths['email']}__in": sorted({term, term.lower()})})
    if NUMBER.match(term) and "number" in paths:
        digits = re.sub(r"\D", "", term)
        return models.Q(**{f"{paths['number']}__startswith": f"+{digits}"})
    if "text" in paths and not (reference or account):
        return models.Q(**{paths["text"]: term})
    return None


class TypedSearchAdmin(admin.ModelAdmin):
    """A list of a table that grows without bound: searched by `typed_search` over
    `search_paths`, and never counted whole (a count of millions of rows on every page)."""

    search_paths: dict[str, str] = {}
    show_full_result_count = False

    def get_search_fields(self, request):
        return tuple(self.search_paths.values())  # shows the search box; the paths are ours

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        lookup = typed_search(search_term, self.search_paths)
        return (queryset.none() if lookup is None else queryset.filter(lookup)), False


class ActionFilter(admin.SimpleListFilter):
    """The audit log's actions from their list in code, not read from millions of events."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, TypedSearchAdmin):
    list_display = ("created_at", "organization", "actor_email", "action", "target_repr")
    # No date hierarchy: its years and months are a sort of every event.
    list_filter = (ActionFilter, "created_at")
    search_paths = {
        "account_id": "organization__account_id",
        "email": "actor_email",
        "text": "action",
    }
    search_help_text = "An account ID (AC-123456), an e-mail address or an action (team.invited)."
    list_select_related = ("organization",)
    readonly_fields = [field.name for field in AuditEvent._meta.fields]


def admin_changed(organization) -> None:
    """What is cached about `organization` is stale once staff's change commits; a change
    of no organization's (the catalog's) makes every organization's stale."""
    if organization is None:
        catalog_changed()
    else:
        organization_changed(organization)


def is_secret(name: str, field: forms.Field | None = None) -> bool:
    """A field whose value an audit event never holds: a password (typed or hashed), or a
    name the log redaction treats as secret (`core.observability.SECRET_NAME`)."""
    if SECRET_NAME.search(name):
        return True
    return field is not None and (
        isinstance(field, ReadOnlyPasswordHashField)
        or isinstance(field.widget, forms.PasswordInput)
    )


def recorded_value(value):
    """A changed value as the audit event keeps it: JSON (a yes-or-no stays a boolean,
    nothing stays null), a row as its name, many rows as a list of names, dates and
    decimals as Django's JSON encoder writes them."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {str(key): recorded_value(item) for key, item in value.items()}
    if isinstance(value, (models.QuerySet, list, tuple, set, frozenset)):
        return [recorded_value(item) for item in value]
    try:
        return DjangoJSONEncoder().default(value)
    except TypeError:
        return str(value)  # an uploaded file: its name


def recorded_changes(values: dict, fields: dict | None = None) -> dict:
    """`values` by field name as an audit event keeps them: JSON, and no secret."""
    fields = fields or {}
    return {
        name: REDACTED if is_secret(name, fields.get(name)) else recorded_value(value)
        for name, value in values.items()
    }


def admin_record(request, obj, verb: str, organization, after: dict | None = None) -> None:
    """One event of staff's change in admin, "admin.<model>_<verb>": what changed as JSON
    values, secrets redacted; what is cached about `organization` goes stale on commit."""
    audit_record(
        action=f"admin.{obj._meta.model_name}_{verb}",
        organization=organization,
        actor=request.user,
        target=obj,
        after=after,
        ip_address=client_ip(request),
    )
    admin_changed(organization)


def audit_inline(request, formset, *, organization, recorded_elsewhere=()) -> None:
    """The rows an inline added and changed, one event each (after the formset's save);
    fields in `recorded_elsewhere` are a service's to record (a row changing only those
    gets no event here)."""
    fields = formset.form.base_fields
    for obj in formset.new_objects:
        admin_record(request, obj, "added", organization)
    for obj, changed in formset.changed_objects:
        values = {name: getattr(obj, name, None) for name in changed}
        values = {name: value for name, value in values.items() if name not in recorded_elsewhere}
        if values:
            admin_record(request, obj, "changed", organization, recorded_changes(values, fields))


def audit_inline_deletions(request, formset, *, organization) -> None:
    """The rows an inline deletes, one event each: recorded before the formset's save,
    as a deleted row no longer has the primary key to name it."""
    for inline_form in formset.deleted_forms:
        if inline_form.instance.pk is not None:
            admin_record(request, inline_form.instance, "deleted", organization)


class AuditedAdmin(admin.ModelAdmin):
    """Records every save and delete made by staff in admin as an audit event."""

    # Fields whose change a service saves and records (on a change, not on an add).
    recorded_elsewhere: tuple[str, ...] = ()

    def audit_organization(self, obj):
        return getattr(obj, "organization", None)

    def save_object(self, obj) -> None:
        """Save what staff changed; a model whose saving is a service's overrides this."""
        obj.save()

    def save_model(self, request, obj, form, change):
        self.save_object(obj)
        changed = {
            name: form.cleaned_data.get(name)
            for name in form.changed_data
            if not (change and name in self.recorded_elsewhere)
        }
        admin_record(
            request,
            obj,
            "changed" if change else "added",
            self.audit_organization(obj),
            recorded_changes(changed, form.fields),
        )
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
    show_full_result_count = False
    readonly_fields = [field.name for field in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Failures a run's page lists; the rest are under Job failures, searched by the run's ID.
FAILURES_SHOWN = 50


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """The runs of the jobs from cron: when, how many rows had which outcome, what failed."""

    list_display = ("job", "started_at", "finished_at", "outcomes")
    list_filter = ("job",)
    show_full_result_count = False
    fields = ("id", "job", "started_at", "finished_at", "outcomes", "failures_list")
    readonly_fields = fields

    @admin.display(description="outcomes")
    def outcomes(self, run: JobRun) -> str:
        if run.finished_at is None and not run.counts:
            return "not finished (still running, or stopped)"
        return ", ".join(f"{count} {outcome}" for outcome, count in sorted(run.counts.items()))

    @admin.display(description="failures")
    def failures_list(self, run: JobRun) -> str:
        failures = list(run.failures.all()[: FAILURES_SHOWN + 1])
        lines = [
            f"{failure.target_type} {failure.target_id} ({failure.target_repr}): {failure.error}"
            for failure in failures[:FAILURES_SHOWN]
        ]
        if len(failures) > FAILURES_SHOWN:
            lines.append(f"... and more: see Job failures, searching {run.pk}.")
        return "\n".join(lines) or "none"


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdmin):
    """Every row a run skipped, with its error; search a run's ID or a row's ID."""

    list_display = ("run", "target_type", "target_id", "target_repr", "error")
    list_select_related = ("run",)
    search_fields = ("=run__id", "=target_id")
    show_full_result_count = False
    readonly_fields = [field.name for field in JobFailure._meta.fields]
