"""URLs of the subscription pages and their self-service actions."""

from django.urls import path

from subscriptions import action_views, views

urlpatterns = [
    path("numbers/", views.numbers, name="numbers"),
    path("numbers/export.csv", views.numbers_csv, name="numbers_csv"),
    path("numbers/<int:pk>/", views.number_detail, name="number_detail"),
    path(
        "numbers/<int:pk>/inbound-recording/",
        action_views.inbound_recording,
        name="inbound_recording",
    ),
    path("numbers/<int:pk>/calling-mode/", action_views.calling_mode, name="calling_mode"),
    path("numbers/<int:pk>/block/", action_views.block, name="block_number"),
    path(
        "numbers/<int:pk>/block/<int:blocked_pk>/remove/",
        action_views.unblock,
        name="unblock_number",
    ),
    path("numbers/<int:pk>/change-number/", action_views.change_number, name="change_number"),
    path("licenses/", views.licenses, name="licenses"),
    path("licenses/<int:pk>/assign/", action_views.assign_license, name="assign_license"),
    path("trunks/", views.trunks, name="trunks"),
    path("settings/", views.settings_index, name="settings"),
    path(
        "settings/outbound-recording/", action_views.outbound_recording, name="outbound_recording"
    ),
    path("settings/call-insights/", views.call_insights, name="call_insights"),
    path("settings/number-testing/", views.number_testing, name="number_testing"),
    path("jetpacks/", views.jetpacks, name="jetpacks"),
    path("accounts/team/<int:pk>/plans/", views.member_plans, name="member_plans"),
    path("subscriptions/<int:pk>/cancel/", action_views.cancel, name="subscription_cancel"),
    path("subscriptions/<int:pk>/cancel/fix/", action_views.take_fix, name="subscription_fix"),
    path("subscriptions/<int:pk>/keep/", action_views.keep, name="subscription_keep"),
    path(
        "subscriptions/<int:pk>/reactivate/",
        action_views.reactivate,
        name="subscription_reactivate",
    ),
    path("subscriptions/<int:pk>/plan/", action_views.change_plan, name="change_plan"),
]
