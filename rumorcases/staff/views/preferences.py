"""The user's own notification choices: the language messages are written in, and which kinds
also come by e-mail. Open to every role: it changes nothing but the user's own mail."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rumorcases.core.notifications import EMAIL_KINDS
from rumorcases.operations.models import NotificationPreference
from rumorcases.operations.services import notification_preference_set
from rumorcases.staff.access import staff_view
from rumorcases.staff.forms.base import run_service


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language of notifications"), choices=settings.LANGUAGES)
    email_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Also send me by e-mail"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(EMAIL_KINDS.items()),
        help_text=gettext_lazy("Every notification is always shown here, in the application."),
    )


@staff_view(methods=("GET", "HEAD", "POST"))
def preferences(request):
    """Show and save the signed-in user's notification choices."""
    current = NotificationPreference.objects.filter(user=request.user).first()
    initial = {"language": current.language if current else settings.LANGUAGE_CODE,
               "email_kinds": current.email_kinds if current else []}
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            result, status = run_service(form, lambda: notification_preference_set(
                user=request.user, language=data["language"], email_kinds=data["email_kinds"]))
            if result is not None:
                messages.success(request, _("Your notification choices are saved."))
                return redirect("staff:notification_preferences")
    else:
        form = PreferencesForm(initial=initial)
    return render(request, "staff/preferences.html", {
        "title": _("Notification choices"), "form": form, "has_email": bool(request.user.email),
    }, status=status)


urlpatterns = [
    path("notifications/preferences/", preferences, name="notification_preferences"),
]
