"""A second URLconf for tests/portal/test_row_urls.py: the same name at another path."""

from django.http import HttpResponse
from django.urls import path


def _page(request, pk):
    return HttpResponse()


urlpatterns = [path("elsewhere/<int:pk>/numbers/", _page, name="number_detail")]
