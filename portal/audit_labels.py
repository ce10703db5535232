"""An audit event in words, for Activity and Home.

Events store codes: the action ("team.role_changed") and what changed as field names and
raw values ({"role": "super_admin"}). They are put into words as they are shown, so an
old event reads in today's words and the log itself never changes.

An action's words are its `core.audit.AuditAction` label, which every action a service
records has (`audit_record` refuses any other). An admin change is named after the model
it changed ("admin.phonenumber_deleted" reads "Phone number deleted by staff"); a code no
longer recorded is read as words.
"""

from functools import cache

from django.apps import apps

from accounts.models import Role
from core.audit import AuditAction
from subscriptions.models import CancellationReason, PhoneNumber, SubscriptionState
from support.models import CaseKind, CaseState

FIELD_LABELS = {
    "outbound_call_recording": "Outbound call recording",
    "inbound_recording": "Inbound call recording",
    "require_mfa": "Two-factor authentication required",
    "calling_mode": "Calling mode",
    "term_end": "Term ends",
    "scheduled_product": "Next term's plan",
    "assigned_to": "Assigned to",
    "email": "E-mail",
    "new_member": "New member",
    "asks": "Asks to",
}

# Switches read "on" and "off"; other yes-or-no fields "yes" and "no".
SWITCHES = {"outbound_call_recording", "inbound_recording"}

# Fields whose values are a model's choices, shown by their labels: the same in every
# area, or by area where two areas mean different things by one name.
CHOICES = {
    "role": dict(Role.choices),
    "calling_mode": dict(PhoneNumber.CallingMode.choices),
    "kind": dict(CaseKind.choices),
}
AREA_CHOICES = {
    ("subscription", "state"): dict(SubscriptionState.choices),
    ("subscription", "reason"): dict(CancellationReason.choices),
    ("support", "state"): dict(CaseState.choices),
}
# Fields holding a code with no labels of its own (a `subscriptions.policy.Action`).
CODES = {"asks"}
# The areas of the admin changes whose fields share those meanings, by model.
ADMIN_AREAS = {"subscription": "subscription", "case": "support"}


def _words(code: str) -> str:
    """A code read as words: "role_changed" is "Role changed"."""
    return code.replace("_", " ").strip().capitalize()


def _admin_change(what: str) -> tuple[str, str]:
    """("phonenumber", "deleted") from "phonenumber_deleted"."""
    model_name, _, verb = what.rpartition("_")
    return model_name, verb


@cache
def _model_verbose_name(model_name: str) -> str | None:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return None


def _area(action: str) -> str:
    area, _, what = action.partition(".")
    if area == "admin":
        return ADMIN_AREAS.get(_admin_change(what)[0], area)
    return area


def action_label(action: str) -> str:
    """The action in words: its label, or its code read as words."""
    if action in AuditAction.values:
        return str(AuditAction(action).label)
    area, _, what = action.rpartition(".")
    if area == "admin":
        model_name, verb = _admin_change(what)
        if verb and (name := _model_verbose_name(model_name)):
            return f"{name.capitalize()} {verb} by staff"
    words = _words(what) or action
    return f"{words} by staff" if area == "admin" else words


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or _words(field)


def value_label(action: str, field: str, value) -> str:
    """A value recorded for `field` by `action`, in words; an empty one as "none"."""
    if isinstance(value, bool):
        if field in SWITCHES:
            return "on" if value else "off"
        return "yes" if value else "no"
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    choices = AREA_CHOICES.get((_area(action), field)) or CHOICES.get(field)
    if choices and isinstance(value, str) and value in choices:
        return str(choices[value])
    if field in CODES:
        return _words(str(value))
    return str(value)


def changes_in_words(action: str, values: dict) -> list[tuple[str, str]]:
    """An event's `before` or `after`, as (field, value) pairs in words."""
    return [
        (field_label(field), value_label(action, field, value)) for field, value in values.items()
    ]
