"""The staff UI under /staff/. Each area's view module keeps its own `urlpatterns`."""

from django.urls import path

from rumorcases.staff.views import (
    accounts,
    auth,
    bulletins,
    cases,
    dashboard,
    disposal,
    notices,
    preferences,
    verification,
)

app_name = "staff"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    *cases.urlpatterns,
    *verification.urlpatterns,
    *notices.urlpatterns,
    *disposal.urlpatterns,
    *bulletins.urlpatterns,
    *accounts.urlpatterns,
    *dashboard.urlpatterns,
    *preferences.urlpatterns,
]
