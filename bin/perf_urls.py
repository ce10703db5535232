"""The portal's URLs plus a bare signed-in page, the reference of `bin/bench` and
`bin/loadtest`: the layout and nothing else, behind the same middleware and the same
membership check as every page."""

from django.shortcuts import render
from django.urls import include, path

import portal.urls
from accounts.access import membership_required

handler500 = portal.urls.handler500


@membership_required
def bare(request):
    return render(request, "base.html")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("portal.urls")),
]
