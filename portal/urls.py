"""The portal's URLs."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from portal import views

admin.site.login = secure_admin_login(admin.site.login)
handler500 = "core.error_views.server_error"

admin.site.site_header = "Switchboard staff"
admin.site.site_title = "Switchboard staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("activity/", views.activity, name="activity"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/team/", accounts_views.team, name="team"),
    path("accounts/team/invite/", accounts_views.invite, name="team_invite"),
    path(
        "accounts/team/invitations/<int:pk>/revoke/",
        accounts_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("accounts/team/<int:pk>/role/", accounts_views.change_role, name="member_change_role"),
    path("accounts/team/<int:pk>/remove/", accounts_views.remove_member, name="member_remove"),
    path(
        "accounts/invitations/<str:token>/",
        accounts_views.invitation_accept,
        name="invitation_accept",
    ),
    path("settings/require-mfa/", accounts_views.require_mfa, name="require_mfa"),
    path(
        "accounts/switch-organization/",
        accounts_views.switch_organization,
        name="switch_organization",
    ),
    path("", include("subscriptions.urls")),
    path("", include("support.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
