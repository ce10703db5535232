"""bin/cron: the cron lines of the README run with the environment of one env file."""

import subprocess
from pathlib import Path

from django.conf import settings

CRON = str(Path(settings.BASE_DIR) / "bin" / "cron")
# Cron's environment: next to nothing.
BARE = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
SHOW = (
    "from django.conf import settings;"
    " print(settings.DATABASES['default']['NAME']); print(settings.DEFAULT_FROM_EMAIL)"
)


def test_a_command_from_cron_runs_with_the_env_files_settings_from_anywhere(tmp_path):
    database = tmp_path / "from-env-file.sqlite3"
    env_file = tmp_path / "env"
    env_file.write_text(
        f"DATABASE_URL=sqlite:///{database}\n"
        "# a comment, and a value with a space and a dollar sign\n"
        "DEFAULT_FROM_EMAIL='Ops $team <ops@test.example>'\n"
    )

    done = subprocess.run(
        [CRON, "shell", "-c", SHOW],
        env={**BARE, "SWITCHBOARD_ENV": str(env_file)},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [str(database), "Ops $team <ops@test.example>"]


def test_without_its_env_file_a_command_from_cron_stops_and_says_why(tmp_path):
    missing = tmp_path / "no-such-env"

    done = subprocess.run(
        [CRON, "shell", "-c", "print('ran')"],
        env={**BARE, "SWITCHBOARD_ENV": str(missing)},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 78
    assert "ran" not in done.stdout
    assert f"cannot read the env file {missing}" in done.stderr
