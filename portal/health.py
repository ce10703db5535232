"""/healthz for load balancers: answered before host validation and the HTTPS redirect."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


def health_response() -> JsonResponse:
    """200 when the database and the cache answer, 503 otherwise; the JSON names each."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # any failure of the database means unhealthy
        checks["database"] = "unavailable"
    try:
        cache.set("healthz", "ok", 10)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "unavailable"
    except Exception:  # any failure of the cache means unhealthy
        checks["cache"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    """Answers GET and HEAD /healthz itself, ahead of the rest of the stack.

    A load balancer checks each instance by its address, over plain HTTP: behind
    SecurityMiddleware it would get the HTTPS redirect (a 301 that HAProxy counts as
    healthy), and behind CommonMiddleware a Host outside ALLOWED_HOSTS is a 400. So this
    runs before both and never asks the request for its host; it reads nothing of the
    request but its method and path. Other methods go on to the stack (405)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = reverse("healthz")

    def __call__(self, request):
        if request.path == self.path and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
