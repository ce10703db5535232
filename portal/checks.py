"""Start-up checks of the deployment: what would make every page fail."""

import logging

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.files.storage import storages

logger = logging.getLogger("portal.checks")

# Not Tags.staticfiles: `collectstatic` runs those, and would warn that it must be run.
STATIC_MANIFEST = "static_manifest"


@checks.register(STATIC_MANIFEST)
def static_files_collected(app_configs, **kwargs):
    """With DEBUG off, the static files are served from STATIC_ROOT by their manifest's
    names; without the manifest every page that links a stylesheet fails."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin) or storage.read_manifest() is not None:
        return []
    return [
        checks.Warning(
            f"The static files are not collected ({storage.manifest_name} is missing from "
            f"STATIC_ROOT, {storage.location}): with DEBUG off every page will answer 500.",
            hint="Run `python manage.py collectstatic --noinput` with the production "
            "settings, on every deploy, before starting the web server.",
            id="portal.W001",
        )
    ]


def log_start_up_problems() -> None:
    """gunicorn runs no system checks: the WSGI entry point logs what these find."""
    for problem in checks.run_checks(tags=[STATIC_MANIFEST]):
        logger.error(str(problem), extra={"check": problem.id})
