"""Staff pages: accounts."""

urlpatterns = []
