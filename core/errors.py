"""The one exception services raise when the rules refuse an action, and the one place
that turns a refusal into what the member sees next."""

import logging
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

logger = logging.getLogger("portal.events")


class ActionRefused(Exception):
    """The rules refuse this action; the message says why, in the customer's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        # Every refusal is logged where it is decided, whichever view shows it.
        logger.info("refused", extra={"reason": message[:300]})


class TooOften(ActionRefused):
    """A member made as many of one kind of change (`what`: "replies") as one person may in
    an hour (`limit`); they may again in `retry_after` seconds. Views answer 429 with a
    page that says so (`too_often_response`)."""

    def __init__(self, *, what: str, limit: int, retry_after: int):
        self.what = what
        self.limit = limit
        self.retry_after = max(1, retry_after)
        self.minutes = max(1, -(-self.retry_after // 60))
        super().__init__(
            f"You made {limit} {what} in the last hour, as many as one person can. "
            f"Try again in about {self.minutes} minute{'s' if self.minutes != 1 else ''}."
        )


def too_often_response(request: HttpRequest, refusal: TooOften) -> HttpResponse:
    """429 with a page in the portal's layout, and when to try again."""
    response = render(request, "core/rate_limited.html", {"refusal": refusal}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def carry_out(
    request: HttpRequest,
    change: Callable[[], object],
    *,
    done: str | Callable[[object], str],
    then: str | Callable[[], HttpResponse],
    then_if_refused: str | Callable[[], HttpResponse] | None = None,
) -> HttpResponse:
    """Make `change()` (one service call) and say how it went on the next page: `done`
    (text, or a function of what the service returned), or the refusal's reason. The
    answer is a redirect to `then` (a URL or URL name), or `then_if_refused` after a
    refusal when given; either may instead be a function that makes the response (an
    htmx fragment). A member over a limit (`TooOften`) gets the 429 page instead, or with
    htmx the fragment with the reason, still as a 429 (base.html's htmx config swaps it)."""
    try:
        result = change()
    except TooOften as refusal:
        if not (getattr(request, "htmx", False) and callable(then)):
            return too_often_response(request, refusal)
        messages.error(request, refusal.message)
        response = then()
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
        return response
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
        target = then if then_if_refused is None else then_if_refused
    else:
        messages.success(request, done(result) if callable(done) else done)
        target = then
    return target() if callable(target) else redirect(target)
