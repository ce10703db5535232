"""Attachments: an allow-list by name and content, a size cap, stored outside the web root,
downloaded only by members who may see the case."""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from support.models import Attachment, Case, Message
from tests.conftest import membership_of
from tests.factories import CaseFactory, MessageFactory
from tests.support.conftest import PNG_BYTES, pdf, text_file, upload

pytestmark = pytest.mark.django_db


def open_case(client, *files, subject="With files"):
    return client.post(
        reverse("case_new"), {"subject": subject, "body": "See attached", "attachments": files}
    )


def test_allowed_files_are_stored_outside_the_web_root_under_random_names(
    client_for, owner, organization
):
    response = open_case(client_for(owner), pdf("Q3 invoice.pdf"), upload("s.png", PNG_BYTES))
    assert response.status_code == 302
    stored = list(Attachment.objects.order_by("id"))
    assert [a.original_name for a in stored] == ["Q3 invoice.pdf", "s.png"]
    assert [a.content_type for a in stored] == ["application/pdf", "image/png"]
    root = Path(settings.ATTACHMENTS_DIR).resolve()
    for attachment in stored:
        path = Path(attachment.file.path).resolve()
        assert path.is_relative_to(root)
        assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
        assert "invoice" not in path.name and "." not in path.name
        assert path.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "is not a type we accept"),
        ("page.html", b"<html><script>", "is not a type we accept"),
        ("noextension", b"hello", "is not a type we accept"),
        ("fake.pdf", b"MZ\x90\x00 this is a program", "does not look like a PDF"),
        ("fake.png", b"%PDF-1.4", "does not look like a PNG"),
        ("binary.txt", b"text\x00with nul", "does not look like a plain text"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_disallowed_files_get_a_clear_message_and_change_nothing(
    client_for, owner, name, content, message
):
    response = open_case(client_for(owner), upload(name, content))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["attachments"])
    assert message in errors
    assert 'id="id_attachments_error"' in response.content.decode()
    assert not Case.objects.exists()
    root = Path(settings.ATTACHMENTS_DIR)
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_oversize_files_are_refused(client_for, owner, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = open_case(client_for(owner), text_file("big.txt", size=2048))
    assert response.status_code == 400
    assert "files may be up to 1.0" in " ".join(response.context["form"].errors["attachments"])
    assert not Case.objects.exists()


def test_at_most_five_files_at_once(client_for, owner):
    files = [text_file(f"f{n}.txt") for n in range(6)]
    response = open_case(client_for(owner), *files)
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_failing_service_leaves_no_file_behind(owner, organization, monkeypatch):
    # _opened is where case_open_general finds it, so that the patch takes.
    from support.services import opening as services

    def broken(*args, **kwargs):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(services, "_opened", broken)
    with pytest.raises(RuntimeError):
        services.case_open_general(
            membership=membership_of(owner, organization),
            subject="x",
            body="y",
            files=[pdf()],
        )
    assert not Case.objects.exists()
    root = Path(settings.ATTACHMENTS_DIR)
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_replies_carry_attachments_too(client_for, owner, organization):
    case = CaseFactory(organization=organization, opened_by=owner)
    client = client_for(owner)
    client.post(
        reverse("case_reply", args=[case.pk]),
        {"body": "Log attached", "attachments": [text_file()]},
    )
    reply = case.messages.get()
    assert reply.attachments.get().original_name == "log.txt"
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert reverse("attachment_download", args=[reply.attachments.get().pk]) in page


def test_downloads_are_attachments_never_rendered(client_for, owner):
    client = client_for(owner)
    open_case(client, pdf("<script>.pdf"))
    attachment = Attachment.objects.get()
    response = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "<script>" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_attachments_are_404_outside_the_organization_and_to_members_of_others_cases(
    client_for, owner, member, outsider, organization
):
    open_case(client_for(owner), pdf())
    attachment = Attachment.objects.get()
    url = reverse("attachment_download", args=[attachment.pk])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(member).get(url).status_code == 404  # a Member sees their own cases only
    assert client_for(owner).get(url).status_code == 200


def test_attachments_of_internal_notes_are_never_served_to_customers(
    client_for, owner, staff, organization
):
    case = CaseFactory(organization=organization, opened_by=owner)
    note = MessageFactory(case=case, author=staff, from_staff=True, internal=True)
    attachment = Attachment(message=note, original_name="x.pdf", content_type="application/pdf")
    attachment.size = len(pdf().read())
    attachment.file.save("upload", pdf(), save=False)
    attachment.save()
    response = client_for(owner).get(reverse("attachment_download", args=[attachment.pk]))
    assert response.status_code == 404
    assert Message.objects.public().filter(pk=note.pk).count() == 0


def test_files_past_the_organizations_attachment_quota_are_refused_and_nothing_is_saved(
    client_for, owner, member, organization, settings
):
    settings.ATTACHMENT_QUOTA_BYTES = 250
    assert open_case(client_for(owner), text_file("first.txt", size=200)).status_code == 302
    case = Case.objects.get()
    root = Path(settings.ATTACHMENTS_DIR)
    files_before = sorted(p for p in root.rglob("*") if p.is_file())
    # Another member of the same organization: the quota is the organization's.
    response = client_for(member).post(
        reverse("case_new"),
        {"subject": "More files", "body": "See attached", "attachments": [text_file(size=100)]},
    )
    assert response.status_code == 400
    assert "do not fit" in response.content.decode()
    assert Case.objects.count() == 1
    owner_client = client_for(owner)
    reply = owner_client.post(
        reverse("case_reply", args=[case.pk]),
        {"body": "One more log", "attachments": [text_file(size=51)]},
    )
    assert reply.status_code == 400
    assert "take 200\xa0bytes of the 250\xa0bytes" in reply.content.decode()
    assert not Message.objects.filter(body="One more log").exists()
    assert Attachment.objects.count() == 1
    assert sorted(p for p in root.rglob("*") if p.is_file()) == files_before
    # What fits still goes in.
    fits = owner_client.post(
        reverse("case_reply", args=[case.pk]),
        {"body": "A small one", "attachments": [text_file(size=50)]},
    )
    assert fits.status_code == 302
    assert Attachment.objects.count() == 2


def test_the_sweep_removes_old_orphan_files_and_keeps_young_ones_and_those_with_rows(
    client_for, owner, capsys
):
    assert open_case(client_for(owner), pdf("kept.pdf")).status_code == 302
    root = Path(settings.ATTACHMENTS_DIR)
    with_row = Path(Attachment.objects.get().file.path)
    # What a worker stopped mid-upload leaves: a stored file whose row never committed.
    old_orphan = root / "2026" / "01" / "0123456789abcdef0123456789abcdef"
    young_orphan = root / "2026" / "01" / "fedcba9876543210fedcba9876543210"
    for orphan in (old_orphan, young_orphan):
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"%PDF-1.4 half an upload")
    two_days_ago = time.time() - 2 * 24 * 3600
    for old in (old_orphan, with_row):
        os.utime(old, (two_days_ago, two_days_ago))

    call_command("sweep_attachments", "--dry-run")
    assert "Would remove 2026/01/0123456789abcdef0123456789abcdef" in capsys.readouterr().out
    assert old_orphan.exists()

    call_command("sweep_attachments")
    assert "Removed 1 orphan file" in capsys.readouterr().out
    assert not old_orphan.exists()
    assert young_orphan.exists()
    assert with_row.exists()
    response = client_for(owner).get(
        reverse("attachment_download", args=[Attachment.objects.get().pk])
    )
    assert response.status_code == 200
