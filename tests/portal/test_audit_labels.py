"""Audit events in words on Activity and Home (`portal.audit_labels`)."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from core.audit import AuditAction, audit_record
from core.models import AuditEvent
from portal.audit_labels import action_label, field_label, value_label
from support.models import CaseState


@pytest.mark.django_db
def test_an_action_without_words_is_never_recorded(organization):
    with pytest.raises(ValueError):
        audit_record(action="team.something_new", organization=organization)
    assert not AuditEvent.objects.exists()
    # Staff's admin changes are named after the model they changed.
    audit_record(action="admin.phonenumber_deleted", organization=organization)
    assert action_label(AuditEvent.objects.get().action) == "Phone number deleted by staff"


def test_every_action_has_words_of_its_own():
    labels = [str(action.label) for action in AuditAction]
    # Written, not made from the member's name ("TEAM_INVITED" would read "Team Invited").
    assert not [
        action for action in AuditAction if action.label == action.name.replace("_", " ").title()
    ]
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("team.role_changed", "Role changed"),
        ("subscription.kept", "Kept (scheduled change withdrawn)"),
        ("support.case_opened", "Case opened"),
        ("admin.product_changed", "Product changed by staff"),
        ("admin.phonenumber_deleted", "Phone number deleted by staff"),  # the verbose name
        ("admin.nosuchmodel_added", "Nosuchmodel added by staff"),
        ("someday.thing_done", "Thing done"),
        ("plain", "Plain"),
    ],
)
def test_an_action_reads_as_its_label_or_as_its_code_in_words(action, words):
    assert action_label(action) == words


@pytest.mark.parametrize(
    ("action", "field", "value", "words"),
    [
        ("number.inbound_recording_changed", "inbound_recording", True, "on"),
        ("organization.outbound_recording_changed", "outbound_call_recording", False, "off"),
        ("organization.require_mfa_changed", "require_mfa", True, "yes"),
        ("team.joined", "new_member", False, "no"),
        ("team.role_changed", "role", Role.SUPER_ADMIN.value, "Super Admin"),
        ("line.calling_mode_changed", "calling_mode", "data", "Data (internet)"),
        # One field name, two meanings: a subscription's state and a case's.
        ("subscription.cancel_scheduled", "state", "cancels_at_term_end", "Cancels at term end"),
        ("support.case_state_changed", "state", CaseState.IN_PROGRESS.value, "In progress"),
        ("admin.case_changed", "state", CaseState.IN_PROGRESS.value, "In progress"),
        ("subscription.cancelled", "reason", "too_expensive", "It costs too much"),
        ("support.cancellation_declined", "reason", "too_expensive", "too_expensive"),  # text
        ("support.case_opened", "kind", "cancellation", "Cancellation request"),
        ("support.case_opened", "asks", "change_quantity", "Change quantity"),
        ("support.cancellation_approved", "subscriptions", ["Line A", "Line B"], "Line A, Line B"),
        ("subscription.cancelled", "state", "no_such_state", "no_such_state"),
        ("subscription.plan_changed", "scheduled_product", "", "none"),
        ("subscription.quantity_changed", "quantity", 3, "3"),
        # Admin changes record JSON values, as services do: text is text.
        ("admin.organization_changed", "outbound_call_recording", True, "on"),
        ("admin.subscription_changed", "scheduled_product", None, "none"),
        ("admin.user_changed", "full_name", "True", "True"),
    ],
)
def test_a_recorded_value_reads_in_words(action, field, value, words):
    assert value_label(action, field, value) == words


def test_a_field_reads_as_its_label_or_as_its_name_in_words():
    assert field_label("outbound_call_recording") == "Outbound call recording"
    assert field_label("term_end") == "Term ends"
    assert field_label("calling_mode") == "Calling mode"
    assert field_label("some_new_field") == "Some new field"


@pytest.mark.django_db
def test_activity_and_home_show_an_event_in_words(client_for, organization, owner, member):
    audit_record(
        action="team.role_changed",
        organization=organization,
        actor=owner,
        target=organization,
        before={"role": Role.MEMBER.value},
        after={"role": Role.ADMIN.value},
    )
    for action in ("line.number_changed", "number.blocked"):  # "Phone number…", "Caller…"
        audit_record(action=action, organization=organization, actor=owner)
    client = client_for(owner)
    activity = client.get(reverse("activity")).content.decode()
    assert "<td>Role changed</td>" in activity
    assert '<span class="badge">Role: Member</span>' in activity
    assert '<span class="badge">Role: Admin</span>' in activity
    # The filter offers the action by its words and filters by its code.
    assert re.search(r'<option value="team.role_changed"\s*>Role changed</option>', activity)
    assert "team.role_changed</" not in activity and "role: admin" not in activity
    # The filter lists actions in the order of their words, not of their codes.
    options = re.findall(r'<option value="([a-z_.]+)"', activity)
    assert options == ["number.blocked", "line.number_changed", "team.role_changed"]
    home = client.get(reverse("home")).content.decode()
    assert "· Role changed ·" in home and "team.role_changed" not in home


@pytest.mark.django_db
def test_staff_internal_notes_stay_off_activity_and_home(client_for, organization, owner):
    audit_record(action="support.note_added", organization=organization, target=organization)
    audit_record(action="support.staff_replied", organization=organization, target=organization)
    client = client_for(owner)
    activity = client.get(reverse("activity")).content.decode()
    assert "Support replied" in activity
    assert "Internal note" not in activity and "note_added" not in activity
    # Not even when asked for by its code.
    asked = client.get(reverse("activity"), {"action": "support.note_added"})
    assert list(asked.context["page"]) == []
    home = client.get(reverse("home")).content.decode()
    assert "Support replied" in home and "Internal note" not in home
