"""Start-up checks of the support settings."""

from django.conf import settings
from django.core.checks import Error, register

from support.attachments import KNOWN_TYPES


@register()
def attachment_settings(app_configs, **kwargs):
    errors = []
    unknown = [ext for ext in settings.ATTACHMENT_EXTENSIONS if ext not in KNOWN_TYPES]
    if unknown:
        errors.append(
            Error(
                f"ATTACHMENT_EXTENSIONS holds types the portal cannot check: {', '.join(unknown)}",
                hint=f"Choose among {', '.join(sorted(KNOWN_TYPES))}.",
                id="support.E001",
            )
        )
    static_root = settings.STATIC_ROOT and str(settings.STATIC_ROOT)
    if static_root and str(settings.ATTACHMENTS_DIR).startswith(static_root):
        errors.append(
            Error(
                "ATTACHMENTS_DIR is inside STATIC_ROOT, where anyone could fetch the files.",
                id="support.E002",
            )
        )
    return errors
