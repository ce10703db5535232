"""Structured logs: one JSON line per request and per event, never a secret in them."""

import json
import logging
import re
import time
import uuid

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from core.http import client_ip

logger = logging.getLogger("portal.requests")
events = logging.getLogger("portal.events")

# Fields a log line may carry besides the message; anything else passed in `extra` is
# dropped, and these are redacted if their name says they hold a secret.
STANDARD = set(vars(logging.makeLogRecord({})))
# A "code" is a secret (a recovery code, a reset code) unless it is a response's status
# (Django's own log records carry `status_code`), a country's or an error's.
SECRET_NAME = re.compile(
    r"pass|token|secret|key|session|cookie|csrf|otp|credential"
    r"|(?<!status_)(?<!country_)(?<!error_)(?<!addon_)code",
    re.IGNORECASE,
)
REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name in STANDARD or name.startswith("_") or name in ("message", "asctime"):
                continue
            line[name] = "[redacted]" if SECRET_NAME.search(name) else _plain(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


class RequestLogMiddleware:
    """Gives each request an ID (X-Request-ID, echoed back) and logs one line when it ends:
    request ID, user, organization, method, path (no query string), status, time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        organization = getattr(request, "organization", None)
        logger.info(
            "request",
            extra={
                "request_id": request.id,
                "user_id": _user_id(request),
                "organization_id": organization.pk if organization is not None else None,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        response["X-Request-ID"] = request.id
        return response


def _user_id(request) -> int | None:
    """The signed-in user's ID, or None: also when finding the user fails (the database
    or the cache that failed the request itself), so the request still gets its line."""
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:  # whatever failed, the line is still written
        return None


def _request_fields(request) -> dict:
    # The address the audit log records: the client's, not the load balancer's.
    return {
        "request_id": getattr(request, "id", None),
        "ip": client_ip(request) if request is not None else None,
    }


def _signed_in(sender, request, user, **kwargs):
    events.info("sign-in", extra={"user_id": user.pk, **_request_fields(request)})


def _signed_out(sender, request, user, **kwargs):
    events.info(
        "sign-out", extra={"user_id": getattr(user, "pk", None), **_request_fields(request)}
    )


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django already hides secrets in `credentials`; only the login name is kept.
    login = credentials.get("email") or credentials.get("username") or ""
    events.warning("sign-in failed", extra={"login": str(login)[:254], **_request_fields(request)})


def connect_signals() -> None:
    """Log sign-ins, sign-outs, failures, reauthentications and MFA changes."""
    user_logged_in.connect(_signed_in, dispatch_uid="portal-log-sign-in")
    user_logged_out.connect(_signed_out, dispatch_uid="portal-log-sign-out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="portal-log-sign-in-failed")
    from allauth.account.signals import authentication_step_completed
    from allauth.mfa.signals import authenticator_added, authenticator_removed

    def _step(sender, request, user, method, **kwargs):
        name = "reauthenticated" if kwargs.get("reauthenticated") else "authentication step"
        events.info(name, extra={"user_id": user.pk, "method": method, **_request_fields(request)})

    def _mfa(event):
        def handler(sender, request, user, authenticator, **kwargs):
            events.info(
                event,
                extra={"user_id": user.pk, "type": authenticator.type, **_request_fields(request)},
            )

        return handler

    authentication_step_completed.connect(_step, dispatch_uid="portal-log-auth-step", weak=False)
    authenticator_added.connect(_mfa("mfa added"), dispatch_uid="portal-log-mfa-added", weak=False)
    authenticator_removed.connect(
        _mfa("mfa removed"), dispatch_uid="portal-log-mfa-removed", weak=False
    )
