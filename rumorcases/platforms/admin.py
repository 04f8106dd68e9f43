from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from rumorcases.core.admin import BaseAdmin
from rumorcases.platforms.models import Platform


class PlatformForm(forms.ModelForm):
    # The HMAC key is never shown again once stored: the form only replaces it.
    webhook_secret = forms.CharField(
        label=_("webhook secret"), required=False, max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current secret."),
    )

    class Meta:
        model = Platform
        fields = ["slug", "name", "name_en", "is_key", "active", "contact_email", "webhook_url", "webhook_secret"]

    def clean_webhook_secret(self):
        return self.cleaned_data["webhook_secret"] or self.instance.webhook_secret


@admin.register(Platform)
class PlatformAdmin(BaseAdmin):
    form = PlatformForm
    list_display = ["name", "name_en", "slug", "is_key", "active", "report_count", "has_webhook_secret"]
    list_filter = ["is_key", "active"]
    search_fields = ["name", "name_en", "slug"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(report_count=Count("reports"))

    @admin.display(description=_("reports"), ordering="report_count")
    def report_count(self, obj):
        return obj.report_count

    @admin.display(description=_("webhook secret set"), boolean=True)
    def has_webhook_secret(self, obj):
        return bool(obj.webhook_secret)

    def has_delete_permission(self, request, obj=None):
        # Reports and orders refer to platforms for good; a platform leaves by being made inactive.
        return False
