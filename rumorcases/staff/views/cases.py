"""Staff pages: cases."""

urlpatterns = []
