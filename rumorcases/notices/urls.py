"""The public's pages for debunk notices (no sign-in)."""

urlpatterns = []
