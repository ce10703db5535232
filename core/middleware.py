"""Request guards shared by every page, the session's sliding expiry, and the limit on how
long staff's admin queries run."""

import logging
import time

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import OperationalError, connection, transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse

logger = logging.getLogger("portal.admin")  # the name operators filter on


class AllowedMethodsMiddleware:
    """Pages are read with GET (or HEAD) and changed with POST; nothing else is answered.

    Views written for GET and POST would otherwise serve PUT, DELETE, PATCH or OPTIONS as
    if they were a GET. Every other method gets 405 here, before any view, session or
    query, for every route (allauth's and admin's included)."""

    ALLOWED = ("GET", "HEAD", "POST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.ALLOWED:
            return HttpResponseNotAllowed(self.ALLOWED)
        return self.get_response(request)


class RejectNullBytesMiddleware:
    """A NUL character has no place in any path, form or query; PostgreSQL cannot even
    store it. Such requests get the 400 page before any view or query sees them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:  # "%00" in the URL, decoded
            raise BadRequest("A NUL character in the path")
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for values in sources:
            for key, items in values.lists():
                if "\x00" in key or any("\x00" in item for item in items):
                    raise BadRequest("A NUL character in the request")
        return self.get_response(request)


class SlidingSessionMiddleware:
    """Sliding expiry without a session write on every request.

    A signed-in session ends after SESSION_COOKIE_AGE without a request. Saving the
    session on every request (SESSION_SAVE_EVERY_REQUEST) would keep that exact, but it
    writes the database and the cache on every page view (docs/performance.md). Instead
    the session is saved again only when its last save
    is SESSION_REFRESH_SECONDS old, so it ends between SESSION_COOKIE_AGE minus that
    and SESSION_COOKIE_AGE after the last request. Sits inside SessionMiddleware.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now  # marks it modified: SessionMiddleware saves it
        return response


def is_statement_timeout(exception: BaseException) -> bool:
    """PostgreSQL cancelled the statement because it ran past `statement_timeout`
    (psycopg's QueryCanceled, which Django raises as an OperationalError)."""
    cause = exception.__cause__ if isinstance(exception, OperationalError) else None
    return type(cause).__name__ == "QueryCanceled"


class AdminStatementTimeoutMiddleware:
    """Staff's queries never starve customers: on PostgreSQL, a request under /admin/ runs
    in one transaction whose statements stop after `ADMIN_STATEMENT_TIMEOUT_MS`
    (`SET LOCAL`, so the connection's other requests keep no limit), and a statement that
    runs longer gives staff a page asking them to narrow the search, not a 500. On SQLite,
    or with the setting at 0, it does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout_ms = settings.ADMIN_STATEMENT_TIMEOUT_MS
        if (
            not timeout_ms
            or connection.vendor != "postgresql"
            or not request.path.startswith(reverse("admin:index"))
        ):
            return self.get_response(request)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)]
                )
            return self.get_response(request)

    def process_exception(self, request, exception):
        if not (connection.vendor == "postgresql" and is_statement_timeout(exception)):
            return None
        transaction.set_rollback(True)  # the statement failed: nothing of it is kept
        logger.warning(
            "admin statement timeout",
            extra={"path": request.path, "timeout_ms": settings.ADMIN_STATEMENT_TIMEOUT_MS},
        )
        return render(
            request,
            "admin/too_slow.html",
            {
                "title": "This took too long",
                "timeout_seconds": settings.ADMIN_STATEMENT_TIMEOUT_MS / 1000,
                "back": request.path,
            },
            status=503,
        )
