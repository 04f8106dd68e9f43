"""The public page of a debunk notice (no sign-in), served by the public site's view
(rumorcases/public/views.py) under its historical name `notices:notice_public`."""

from django.urls import path

from rumorcases.public import views

app_name = "notices"

urlpatterns = [
    path("notices/<uuid:public_id>/", views.notice_page, name="notice_public"),
]
