"""Who may use the staff UI at all; object access is the selectors' job, writes the services'.

Every staff view is wrapped in `staff_view`: signed in, active, holding at least one of the
office's roles (the read permission on cases). A signed-in user without a role gets 403, an
anonymous one the sign-in page.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_http_methods

from rumorcases.cases.selectors import access_case_read


def staff_view(view=None, *, methods=("GET", "HEAD")):
    """Decorate a staff view: staff only, and only these HTTP methods (405 for the others)."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access_case_read(request.user)
            return func(request, *args, **kwargs)

        return require_http_methods(list(methods))(wrapper)

    return decorate(view) if view is not None else decorate


def require_perm(user, perm: str) -> None:
    """For pages that only make sense to a role that may write (a form nobody else can send)."""
    if not user.has_perm(perm):
        raise PermissionDenied
