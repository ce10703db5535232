"""Request guards shared by every page."""

from django.core.exceptions import BadRequest


class RejectNullBytesMiddleware:
    """A NUL character has no place in any form or query; PostgreSQL cannot even store
    it. Such requests get the 400 page before any view or query sees them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for values in sources:
            for key, items in values.lists():
                if "\x00" in key or any("\x00" in item for item in items):
                    raise BadRequest("A NUL character in the request")
        return self.get_response(request)
