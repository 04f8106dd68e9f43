"""Sign-in and sign-out. Lockout after repeated failures is django-axes' (settings.AXES_*)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("Sign in")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(failure_limit=settings.AXES_FAILURE_LIMIT, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked sign-in (settings.AXES_LOCKOUT_CALLABLE): our page, with
    the lock's length in minutes rather than axes' ISO 8601 duration."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "staff/locked_out.html", {"title": _("Account locked"), "cooloff_minutes": minutes},
                  status=429)
