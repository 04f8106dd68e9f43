"""The official documents (PDF) the public downloads."""

from django.urls import path

from rumorcases.documents import views

app_name = "documents"

urlpatterns = [
    path("notices/<uuid:public_id>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("bulletins/<int:year>/<int:issue>/pdf/", views.bulletin_pdf, name="bulletin_pdf"),
]
