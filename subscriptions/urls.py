"""URLs of the subscription pages."""

from django.urls import path

from subscriptions import views

urlpatterns = [
    path("numbers/", views.numbers, name="numbers"),
    path("numbers/export.csv", views.numbers_csv, name="numbers_csv"),
    path("numbers/<int:pk>/", views.number_detail, name="number_detail"),
    path("licenses/", views.licenses, name="licenses"),
    path("trunks/", views.trunks, name="trunks"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/call-insights/", views.call_insights, name="call_insights"),
    path("settings/number-testing/", views.number_testing, name="number_testing"),
    path("jetpacks/", views.jetpacks, name="jetpacks"),
    path("accounts/team/<int:pk>/plans/", views.member_plans, name="member_plans"),
]
