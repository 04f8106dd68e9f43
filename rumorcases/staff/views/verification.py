"""Staff pages: verification."""

urlpatterns = []
