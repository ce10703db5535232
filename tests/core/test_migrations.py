"""The audit log and the e-mail outbox moved from the `portal` app to `core`: a database
of the release before keeps every row, and staff keep their permissions on them.

Each test migrates a database of its own with `manage.py`, as a deploy does: SQLite, and
PostgreSQL too when the suite runs on it.
"""

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")

# Rows as the release before wrote them, in its tables: the models' content types and
# staff's permissions on them too (made when portal held the models).
OLD_ROWS = [
    "INSERT INTO django_content_type (app_label, model) SELECT 'portal', 'auditevent' WHERE NOT"
    " EXISTS (SELECT 1"
    " FROM django_content_type WHERE app_label = 'portal'"
    " AND model = 'auditevent')",
    "INSERT INTO django_content_type (app_label, model) SELECT 'portal', 'outboundemail' WHERE NOT"
    " EXISTS (SELECT 1"
    " FROM django_content_type WHERE app_label = 'portal'"
    " AND model = 'outboundemail')",
    "INSERT INTO auth_permission (name, content_type_id, codename) SELECT"
    " 'Can view auditevent', id, 'view_auditevent'"
    " FROM django_content_type WHERE app_label = 'portal'"
    " AND model = 'auditevent' AND NOT EXISTS (SELECT 1 FROM auth_permission"
    " WHERE codename = 'view_auditevent')",
    "INSERT INTO auth_permission (name, content_type_id, codename) SELECT"
    " 'Can view outboundemail', id, 'view_outboundemail'"
    " FROM django_content_type WHERE app_label = 'portal'"
    " AND model = 'outboundemail' AND NOT EXISTS (SELECT 1 FROM auth_permission"
    " WHERE codename = 'view_outboundemail')",
    "INSERT INTO portal_auditevent (actor_email, action, target_type, target_id, target_repr,"
    " before, after, created_at) VALUES ('owner@acme.example', 'team.invited',"
    " 'accounts.Invitation', '7', 'new@acme.example', '{}', '{\"email\": \"new@acme.example\"}',"
    " CURRENT_TIMESTAMP)",
    'INSERT INTO portal_outboundemail (template, "to", subject, body_text, body_html,'
    " created_at, attempts, last_error) VALUES ('invitation', '[\"new@acme.example\"]',"
    " 'You are invited', 'Hello', '<p>Hello</p>', CURRENT_TIMESTAMP, 2, 'timed out')",
    "INSERT INTO auth_group (name) VALUES ('Support staff')",
    "INSERT INTO auth_group_permissions (group_id, permission_id) SELECT g.id, p.id"
    " FROM auth_group g, auth_permission p JOIN django_content_type t"
    " ON t.id = p.content_type_id WHERE g.name = 'Support staff'"
    " AND t.app_label = 'portal' AND p.codename IN ('view_auditevent', 'view_outboundemail')",
]

CHECK = """
import json
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from core.models import AuditEvent, OutboundEmail
event = AuditEvent.objects.get()
email = OutboundEmail.objects.get()
print(json.dumps({
    "event": [event.action, event.actor_email, event.after],
    "email": [email.subject, email.to, email.attempts, email.last_error],
    "permissions": sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="Support staff").permissions.all()
    ),
    "portal_types": ContentType.objects.filter(app_label="portal").count(),
}))
"""


def _manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _moves_every_row(database_url: str) -> None:
    _manage(database_url, "migrate", "portal", "0004", "--noinput")  # the release before
    statements = json.dumps(OLD_ROWS)
    _manage(
        database_url,
        "shell",
        "--no-imports",
        "-c",
        "import json\nfrom django.db import connection\n"
        f"with connection.cursor() as c:\n    [c.execute(s) for s in json.loads({statements!r})]",
    )
    _manage(database_url, "migrate", "--noinput")
    moved = json.loads(_manage(database_url, "shell", "--no-imports", "-c", CHECK))
    assert moved == {
        "event": ["team.invited", "owner@acme.example", {"email": "new@acme.example"}],
        "email": ["You are invited", ["new@acme.example"], 2, "timed out"],
        "permissions": ["core.view_auditevent", "core.view_outboundemail"],
        "portal_types": 0,
    }
    # Nothing is left for makemigrations to do.
    _manage(database_url, "makemigrations", "--check", "--dry-run")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the suite's SQLite run migrates SQLite")
def test_the_move_to_core_keeps_every_row_on_sqlite(tmp_path):
    _moves_every_row(f"sqlite:///{tmp_path / 'release-before.sqlite3'}")


@contextmanager
def _new_postgresql_database():
    """The URL of a new, empty database on the suite's PostgreSQL server, dropped after."""
    import psycopg

    server = settings.DATABASES["default"]
    name = f"switchboard_migrations_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=server["HOST"],
        port=server["PORT"] or 5432,
        user=server["USER"],
        password=server["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{server['PASSWORD']}" if server["PASSWORD"] else ""
        url = f"postgres://{server['USER']}{password}@{server['HOST']}:{server['PORT'] or 5432}"
        yield f"{url}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the suite runs on SQLite")
def test_the_move_to_core_keeps_every_row_on_postgresql():
    with _new_postgresql_database() as url:
        _moves_every_row(url)


# Staff's admin events as the releases before wrote them: adding a user kept the passwords
# typed, and every value was text. A customer's event is left as it is.
TYPED = "Correct-Horse-Battery-91"
OLD_ADMIN_EVENTS = [
    ("admin.user_added", {}, {"email": "new@acme.example", "password1": TYPED, "password2": TYPED}),
    ("admin.user_changed", {}, {"full_name": "New Hire", "is_staff": "True"}),
    ("admin.organization_changed", {}, {"outbound_call_recording": "False", "name": "None"}),
    ("team.role_changed", {"role": "member"}, {"role": "admin"}),
]

WRITE_OLD_EVENTS = """
import json
from django.db import connection
with connection.cursor() as cursor:
    for action, before, after in json.loads({events!r}):
        cursor.execute(
            "INSERT INTO portal_auditevent (actor_email, action, target_type, target_id,"
            " target_repr, before, after, created_at) VALUES (%s, %s, '', '', '', %s, %s,"
            " CURRENT_TIMESTAMP)",
            ["staff@provider.example", action, json.dumps(before), json.dumps(after)],
        )
"""

READ_EVENTS = """
import json
from core.models import AuditEvent
print(json.dumps([
    [event.action, event.actor_email, event.before, event.after]
    for event in AuditEvent.objects.order_by("pk")
]))
"""


def _removes_the_passwords(database_url: str) -> None:
    _manage(database_url, "migrate", "core", "0003", "--noinput")  # the release before
    events = json.dumps(OLD_ADMIN_EVENTS)
    _manage(database_url, "shell", "--no-imports", "-c", WRITE_OLD_EVENTS.format(events=events))
    _manage(database_url, "migrate", "--noinput")
    recorded = json.loads(_manage(database_url, "shell", "--no-imports", "-c", READ_EVENTS))
    assert TYPED not in json.dumps(recorded)
    assert recorded == [
        [
            "admin.user_added",
            "staff@provider.example",
            {},
            {"email": "new@acme.example", "password1": "[redacted]", "password2": "[redacted]"},
        ],
        [
            "admin.user_changed",
            "staff@provider.example",
            {},
            {"full_name": "New Hire", "is_staff": True},
        ],
        [
            "admin.organization_changed",
            "staff@provider.example",
            {},
            {"outbound_call_recording": False, "name": None},
        ],
        ["team.role_changed", "staff@provider.example", {"role": "member"}, {"role": "admin"}],
        # The migration says what it did: how many events, which fields, no value.
        [
            "audit.secrets_redacted",
            "",
            {},
            {
                "events_redacted": 1,
                "fields_redacted": ["password1", "password2"],
                "events_retyped": 2,
            },
        ],
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the suite's SQLite run migrates SQLite")
def test_the_passwords_staff_typed_leave_the_audit_log_on_sqlite(tmp_path):
    _removes_the_passwords(f"sqlite:///{tmp_path / 'release-before.sqlite3'}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the suite runs on SQLite")
def test_the_passwords_staff_typed_leave_the_audit_log_on_postgresql():
    with _new_postgresql_database() as url:
        _removes_the_passwords(url)


# The indexes of staff's newest-first lists, on tables that grow without bound.
STAFF_LIST_INDEXES = [
    ("core", "0006_staff_list_indexes", "audit_recent"),
    ("support", "0005_case_queue_index", "case_queue_recent"),
    ("subscriptions", "0007_feedback_recent_index", "feedback_recent"),
]

INDEX_NAMES = """
from django.db import connection
with connection.cursor() as cursor:
    names = set()
    for table in connection.introspection.table_names(cursor):
        names |= set(connection.introspection.get_constraints(cursor, table))
print(" ".join(sorted(names)))
"""


def _adds_the_staff_list_indexes(database_url: str, *, concurrently: bool) -> None:
    for app, migration, _ in STAFF_LIST_INDEXES:
        sql = _manage(database_url, "sqlmigrate", app, migration)
        assert ("CREATE INDEX CONCURRENTLY" in sql) is concurrently, sql
    _manage(database_url, "migrate", "--noinput")
    names = _manage(database_url, "shell", "--no-imports", "-c", INDEX_NAMES).split()
    assert {index for _, _, index in STAFF_LIST_INDEXES} <= set(names)
    _manage(database_url, "migrate", "core", "0005", "--noinput")  # and back
    names = _manage(database_url, "shell", "--no-imports", "-c", INDEX_NAMES).split()
    assert "audit_recent" not in names


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the suite's SQLite run migrates SQLite")
def test_the_staff_list_indexes_are_added_on_sqlite(tmp_path):
    _adds_the_staff_list_indexes(f"sqlite:///{tmp_path / 'new.sqlite3'}", concurrently=False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the suite runs on SQLite")
def test_the_staff_list_indexes_are_built_concurrently_on_postgresql():
    with _new_postgresql_database() as url:
        _adds_the_staff_list_indexes(url, concurrently=True)
