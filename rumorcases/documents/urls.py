"""The official documents (PDF) the public downloads."""

app_name = "documents"

urlpatterns = []
