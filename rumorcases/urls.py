from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

# Evidence and other uploads are never served as plain media: they are internal
# and reach staff only through views that check access.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
