"""URLs of the support pages. "support" is the cases dashboard the navigation links to."""

from django.urls import path

from support import help_views, views

urlpatterns = [
    path("help/", help_views.help_index, name="help"),
    path("help/suggest/", help_views.help_suggest, name="help_suggest"),
    path("help/<slug:slug>/", help_views.help_article, name="help_article"),
    path("help/<slug:slug>/vote/", help_views.help_vote, name="help_vote"),
    path("support/", views.dashboard, name="support"),
    path("support/cases/new/", views.case_new, name="case_new"),
    path("support/cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("support/cases/<int:pk>/reply/", views.case_reply, name="case_reply"),
    path("support/cases/<int:pk>/close/", views.case_close, name="case_close"),
    path(
        "support/cases/<int:pk>/quotes/<int:quote_pk>/accept/",
        views.quote_accept,
        name="quote_accept",
    ),
    path(
        "support/cases/<int:pk>/quotes/<int:quote_pk>/decline/",
        views.quote_decline,
        name="quote_decline",
    ),
    path("support/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(
        "support/request/<int:subscription_pk>/<slug:action>/",
        views.case_request,
        name="case_request",
    ),
]
