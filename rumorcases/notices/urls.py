"""The public's pages for debunk notices (no sign-in)."""

from django.urls import path

from rumorcases.notices import views

app_name = "notices"

urlpatterns = [
    path("notices/<uuid:public_id>/", views.notice_public, name="notice_public"),
]
