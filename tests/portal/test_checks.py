"""Start-up checks say what to run before the portal can serve its pages."""

import json
import logging

import pytest
from django.core import checks

from portal.checks import log_start_up_problems


@pytest.fixture
def production_static_files(settings, tmp_path):
    """The static files storage of DEBUG off, over an empty STATIC_ROOT."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    return tmp_path


def static_problems() -> list[checks.CheckMessage]:
    return [problem for problem in checks.run_checks() if problem.id == "portal.W001"]


def test_starting_without_collected_static_files_says_to_run_collectstatic(
    production_static_files,
):
    (problem,) = static_problems()
    assert problem.level == checks.WARNING
    assert "static files are not collected" in problem.msg
    assert "every page will answer 500" in problem.msg
    assert "python manage.py collectstatic --noinput" in problem.hint


def test_the_wsgi_entry_point_logs_it_as_gunicorn_runs_no_checks(production_static_files, caplog):
    with caplog.at_level(logging.ERROR, logger="portal.checks"):
        log_start_up_problems()
    assert "portal.W001" in caplog.text
    assert "collectstatic --noinput" in caplog.text


def test_collected_static_files_or_development_settings_raise_nothing(
    production_static_files, settings
):
    manifest = {"paths": {}, "version": "1.1", "hash": "0"}
    (production_static_files / "staticfiles.json").write_text(json.dumps(manifest))
    assert static_problems() == []
    (production_static_files / "staticfiles.json").unlink()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert static_problems() == []
