"""The server-error handler: 503 when the database or the cache is unreachable, 500 otherwise."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from redis.exceptions import RedisError

logger = logging.getLogger("portal.error_views")  # the name operators filter on

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Redis down: the rate limits (allauth's, case creation's) cannot count, so what they
# guard waits for it rather than going unguarded.
CACHE_ERRORS = (RedisError,)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors: they may need the database that just failed."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS + CACHE_ERRORS):
        what = "database" if isinstance(error, DATABASE_ERRORS) else "cache"
        logger.error(f"{what} unavailable", extra={"error": type(error).__name__})
        body = loader.get_template("503.html").render({})
        return HttpResponse(body, status=503, headers={"Retry-After": "30"})
    return HttpResponse(loader.get_template("500.html").render({}), status=500)
