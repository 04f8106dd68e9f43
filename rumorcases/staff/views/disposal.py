"""Staff pages: disposal."""

urlpatterns = []
