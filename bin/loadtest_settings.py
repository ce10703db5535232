"""Settings of the load test's gunicorn (`bin/loadtest`): the production settings as they
are, plus the benchmark's bare signed-in page (the reference every page is compared with)
and a throw-away STATIC_ROOT. Nothing else differs from portal/settings.py."""

import os

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "perf_urls"
STATIC_ROOT = os.environ["LOADTEST_STATIC_ROOT"]
