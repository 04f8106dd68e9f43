"""Staff pages: notices."""

urlpatterns = []
