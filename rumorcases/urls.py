from django.contrib import admin
from django.urls import include, path

from rumorcases.core import health

# Evidence and other uploads are never served as plain media: they are internal
# and reach staff only through views that check access.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("rumorcases.api.urls")),
    path("staff/", include("rumorcases.staff.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # the language switch (set_language)
    path("healthz", health.healthz, name="healthz"),  # process alive (docs/background.md)
    path("readyz", health.readyz, name="readyz"),  # database, cache, broker, migrations
    path("", include("rumorcases.notices.urls")),
    path("", include("rumorcases.documents.urls")),
    path("", include("rumorcases.public.urls")),
]

# Under /api/ a server error answers in the API's JSON error shape; elsewhere, the usual page.
handler500 = "rumorcases.api.views.server_error"
