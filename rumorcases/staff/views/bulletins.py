"""Staff pages: bulletins."""

urlpatterns = []
