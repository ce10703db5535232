"""Staff's admin events of the releases before held secrets and values as text: adding a
user recorded the typed passwords ({"password1": "<clear text>", ...}), and every value
was `str()` ("True", "None").

This removes the secrets from `admin.user_added` and `admin.user_changed` events (each
value of a secret's name becomes "[redacted]": the event still says it was set) and gives
every admin event's "True", "False" and "None" back as JSON, as admin records them now.
The log is append-only in the model (`AuditEvent.save` refuses to rewrite an event);
the historical model here has no such `save`, and no database trigger guards the table,
so the rows are updated here and only here. What was done is itself an event,
`audit.secrets_redacted`, with how many events changed and which field names (never a
value). Secrets cannot be put back: going back changes nothing.
"""

import re

from django.db import migrations

# As `core.observability.SECRET_NAME` and `core.admin.REDACTED` were when this was written.
SECRET_NAME = re.compile(r"pass|token|secret|code|key|session|cookie|csrf", re.IGNORECASE)
REDACTED = "[redacted]"
USER_EVENTS = ("admin.user_added", "admin.user_changed")
TEXT_VALUES = {"True": True, "False": False, "None": None}


def _redacted(values: dict, fields: set) -> dict:
    cleaned = {}
    for name, value in values.items():
        if SECRET_NAME.search(name) and value != REDACTED:
            fields.add(name)
            value = REDACTED
        cleaned[name] = value
    return cleaned


def _retyped(values: dict) -> dict:
    return {
        name: TEXT_VALUES[value] if isinstance(value, str) and value in TEXT_VALUES else value
        for name, value in values.items()
    }


def redact_admin_secrets(apps, schema_editor):
    audit_event = apps.get_model("core", "AuditEvent")
    events = audit_event.objects.using(schema_editor.connection.alias)
    redacted, retyped, fields = 0, 0, set()
    changed = []
    for event in events.filter(action__startswith="admin.").only("action", "before", "after"):
        before, after = dict(event.before or {}), dict(event.after or {})
        if event.action in USER_EVENTS:
            before, after = _redacted(before, fields), _redacted(after, fields)
            if (before, after) != (event.before or {}, event.after or {}):
                redacted += 1
        typed_before, typed_after = _retyped(before), _retyped(after)
        if (typed_before, typed_after) != (before, after):
            retyped += 1
        if (typed_before, typed_after) != (event.before or {}, event.after or {}):
            event.before, event.after = typed_before, typed_after
            changed.append(event)
    events.bulk_update(changed, ["before", "after"], batch_size=500)
    if changed:
        events.create(
            action="audit.secrets_redacted",
            target_repr="Staff's admin events",
            after={
                "events_redacted": redacted,
                "fields_redacted": sorted(fields),
                "events_retyped": retyped,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0003_outbox_topic")]

    operations = [
        migrations.RunPython(redact_admin_secrets, migrations.RunPython.noop, elidable=False)
    ]
