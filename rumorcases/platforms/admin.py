"""Admin for platforms, their API tokens and the webhook deliveries pushed to them."""

import json
from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from rumorcases.core.admin import BaseAdmin, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, pretty_json, service_action
from rumorcases.platforms import services, webhooks
from rumorcases.platforms.models import ApiScope, ApiToken, Platform, WebhookAttempt, WebhookDelivery


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

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"]
        if url and urlsplit(url).scheme.lower() not in webhooks.ALLOWED_SCHEMES:
            raise forms.ValidationError(_("Webhooks are sent to http:// or https:// addresses only."))
        return url

    def clean_webhook_secret(self):
        return self.cleaned_data["webhook_secret"] or self.instance.webhook_secret

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("webhook_url") and not cleaned.get("webhook_secret"):
            self.add_error("webhook_secret", _("Webhooks are signed: set a secret to go with the address."))
        return cleaned


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


# --- API tokens ----------------------------------------------------------------------------


class ApiTokenAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=ApiScope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    valid_days = forms.IntegerField(label=_("valid for (days)"), min_value=1, max_value=3650, initial=365)

    class Meta:
        model = ApiToken
        fields = ["platform", "name", "scopes"]


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdmin):
    """Tokens are created through `api_token_create` and shown once, on the page that follows;
    only their SHA-256 is stored, and it is never displayed. A token is never edited: it is revoked."""

    add_perm = "platforms.add_apitoken"
    list_display = ["key_id", "platform", "name", "scope_list", "expires_at", "revoked_at", "last_used_at",
                    "created_by", "created_at"]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["platform", "created_by"]
    search_fields = ["=key_id", "name", "platform__slug"]
    view_fields = ["platform", "name", "key_id", "scope_list", "created_by", "created_at", "expires_at",
                   "revoked_at", "last_used_at"]
    actions = [
        service_action(lambda token, user, reason: services.api_token_revoke(token=token, by=user),
                       name="revoke", description=_("Revoke"), permission="platforms.add_apitoken"),
    ]

    def get_fields(self, request, obj=None):
        return ["platform", "name", "scopes", "valid_days"] if obj is None else self.view_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.view_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def create_through_service(self, request, form):
        data = form.cleaned_data
        token, plaintext = services.api_token_create(
            platform=data["platform"], name=data["name"], scopes=data["scopes"], by=request.user,
            expires_at=timezone.now() + timedelta(days=data["valid_days"]),
        )
        # Only the response to this request shows it: not stored, not put in a message.
        request._api_token_plaintext = plaintext
        return token

    def response_add(self, request, obj, post_url_continue=None):
        plaintext = getattr(request, "_api_token_plaintext", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        return TemplateResponse(request, "admin/platforms/apitoken/token_created.html", {
            **self.admin_site.each_context(request),
            "title": _("API token created"),
            "opts": self.opts,
            "token": obj,
            "plaintext": plaintext,
        })


# --- webhook deliveries --------------------------------------------------------------------


class WebhookAttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "succeeded", "error"]
    readonly_fields = fields
    show_change_link = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every event pushed to a platform, with every attempt and what the platform's server answered."""

    list_display = ["created_at", "event", "platform", "order", "status", "attempts", "next_attempt_at",
                    "delivered_at", "last_error_excerpt"]
    list_filter = ["status", "platform", "event"]
    list_select_related = ["platform", "order"]
    search_fields = ["=delivery_id", "order__reference"]
    search_help_text = _("Delivery id (exact) or order reference.")
    date_hierarchy = "created_at"
    fields = ["delivery_id", "event", "platform", "order", "url", "status", "attempts", "next_attempt_at",
              "created_at", "delivered_at", "last_error", "payload"]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = [
        service_action(lambda delivery, user, reason: webhooks.webhook_retry_now(delivery=delivery, by=user),
                       name="retry_now", description=_("Retry now"),
                       permission="platforms.change_webhookdelivery"),
    ]

    @admin.display(description=_("last error"))
    def last_error_excerpt(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("body"))
    def payload(self, obj):
        return pretty_json(json.loads(obj.body))


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "number", "started_at", "duration_ms", "status_code", "succeeded"]
    list_filter = ["succeeded"]
    list_select_related = ["delivery"]
    search_fields = ["=delivery__delivery_id"]
    actions = None
