"""The public site (no sign-in)."""

app_name = "public"

urlpatterns = []
