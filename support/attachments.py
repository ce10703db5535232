"""Case attachments: where they are stored, what is let in, and how each file is checked.

Files live under `settings.ATTACHMENTS_DIR`, outside the static root and served by no
web server: only `support.views.attachment_download` hands them out, to members who
may see the case, as downloads. Each is stored under a random name without its
extension; its own name is kept in the database. A file is let in when its extension
is in `settings.ATTACHMENT_EXTENSIONS` *and* its first bytes are what that extension
promises (a renamed program is refused), and it is no bigger than
`settings.ATTACHMENT_MAX_BYTES`.
"""

import os
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone


class AttachmentStorage(FileSystemStorage):
    """The file system under ATTACHMENTS_DIR, read at each use (tests point it elsewhere)."""

    @property
    def base_location(self):
        return str(settings.ATTACHMENTS_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None  # never a public URL: files go out through the download view only

    def url(self, name):
        raise ValueError("Attachments have no public URL; use the download view.")


_storage = AttachmentStorage()


def attachment_storage() -> AttachmentStorage:
    return _storage


def attachment_path(instance, filename: str) -> str:
    """A random name, grouped by month; nothing of the customer's file name is used."""
    return f"{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class FileType:
    """A type of file the portal accepts, recognised by its first bytes."""

    def __init__(self, content_type: str, label: str, *signatures: bytes):
        self.content_type = content_type
        self.label = label
        self.signatures = signatures

    def matches(self, head: bytes) -> bool:
        return any(head.startswith(signature) for signature in self.signatures)


class TextType(FileType):
    """Text: valid UTF-8 without NUL bytes (which programs and archives are full of)."""

    def matches(self, head: bytes) -> bool:
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # The sample may cut a character in two at its end; anything else is not text.
            return len(head) == SNIFF_BYTES and error.start >= len(head) - 3
        return True


PDF = FileType("application/pdf", "PDF", b"%PDF-")
PNG = FileType("image/png", "PNG image", b"\x89PNG\r\n\x1a\n")
JPEG = FileType("image/jpeg", "JPEG image", b"\xff\xd8\xff")
GIF = FileType("image/gif", "GIF image", b"GIF87a", b"GIF89a")
TEXT = TextType("text/plain", "plain text")
CSV = TextType("text/csv", "CSV")

# Every extension the portal knows how to check; settings.ATTACHMENT_EXTENSIONS picks from it.
KNOWN_TYPES: dict[str, FileType] = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "gif": GIF,
    "txt": TEXT,
    "log": TEXT,
    "csv": CSV,
}
SNIFF_BYTES = 2048


def allowed_extensions() -> list[str]:
    """The extensions let in: those of the setting the portal knows how to check (a system
    check, `support.checks`, reports any other at start)."""
    return [ext for ext in settings.ATTACHMENT_EXTENSIONS if ext in KNOWN_TYPES]


def allowed_summary() -> str:
    """For the form's help text: "PDF, PNG, JPG, TXT; up to 5 MB each"."""
    extensions = ", ".join(ext.upper() for ext in allowed_extensions())
    return f"{extensions}; up to {filesizeformat(settings.ATTACHMENT_MAX_BYTES)} each"


def check_upload(upload) -> str:
    """The checked content type of an uploaded file; ValidationError says what is wrong."""
    name = os.path.basename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in allowed_extensions():
        raise ValidationError(
            f"{name or 'This file'} is not a type we accept. Attach {allowed_summary()}.",
            code="type",
        )
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            f"{name} is {filesizeformat(upload.size)}; files may be up to "
            f"{filesizeformat(settings.ATTACHMENT_MAX_BYTES)}.",
            code="size",
        )
    if upload.size == 0:
        raise ValidationError(f"{name} is empty.", code="empty")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = KNOWN_TYPES[extension]
    if not kind.matches(head):
        raise ValidationError(
            f"{name} does not look like a {kind.label} file, though its name says so.",
            code="content",
        )
    return kind.content_type


def clean_file_name(name: str) -> str:
    """The customer's file name, reduced to a safe one for the download header."""
    base = os.path.basename(name or "").strip() or "attachment"
    safe = "".join(ch if ch.isalnum() or ch in "._- ()" else "_" for ch in base)
    return safe[-200:]


def attachment_response(attachment) -> FileResponse:
    """The file as a download that no browser renders in the portal's origin."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
