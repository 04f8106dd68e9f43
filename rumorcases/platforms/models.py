from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    """An internet platform the office deals with (Weibo, Douyin, ...)."""

    slug = models.SlugField(verbose_name=_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_key = models.BooleanField(_("key platform"), default=False)
    contact_email = models.EmailField(verbose_name=_("contact email"), blank=True)
    webhook_url = models.URLField(verbose_name=_("webhook URL"), blank=True)
    # The HMAC key for signing webhook bodies; shown to the platform once, never in public output.
    webhook_secret = models.CharField(verbose_name=_("webhook secret"), max_length=128, blank=True)
    active = models.BooleanField(verbose_name=_("active"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-is_key", "name"]
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")

    def __str__(self):
        return self.name


class ApiScope(models.TextChoices):
    REPORTS_WRITE = "reports:write", _("Submit reports")
    REPORTS_READ = "reports:read", _("Read own reports and their cases")
    ORDERS_READ = "orders:read", _("Read own orders")
    ORDERS_WRITE = "orders:write", _("Acknowledge and complete own orders")


class ApiToken(models.Model):
    """A platform's credential for the API. The token itself is shown once, when created;
    only its SHA-256 is stored. `key_id` (the public part) finds the row in one indexed read."""

    platform = models.ForeignKey(Platform, verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="api_tokens")
    name = models.CharField(verbose_name=_("name"), max_length=100,
                            help_text=_("What it is for, e.g. 'moderation system, production'."))
    key_id = models.CharField(verbose_name=_("key id"), max_length=16, unique=True, editable=False)
    token_sha256 = models.CharField(verbose_name=_("token SHA-256"), max_length=64, editable=False)
    scopes = models.JSONField(verbose_name=_("scopes"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(verbose_name=_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["platform", "-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.platform_id}: {self.name} ({self.key_id})"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.platform.active


class WebhookEvent(models.TextChoices):
    ORDER_ISSUED = "order.issued", _("Order issued")
    ORDER_UPDATED = "order.updated", _("Order changed")
    ORDER_OVERDUE = "order.overdue", _("Order overdue")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed for good")


class WebhookDelivery(models.Model):
    """One event pushed to a platform's webhook. The body is fixed when the event happens, so
    every retry sends the same bytes with the same signature and the same delivery id."""

    delivery_id = models.UUIDField(verbose_name=_("delivery id"), unique=True, editable=False)
    platform = models.ForeignKey(Platform, verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="webhook_deliveries")
    event = models.CharField(verbose_name=_("event"), max_length=32, choices=WebhookEvent.choices)
    order = models.ForeignKey("disposal.DisposalOrder", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="webhook_deliveries")
    url = models.URLField(verbose_name=_("URL"), max_length=500)
    body = models.TextField(verbose_name=_("body"))
    status = models.CharField(verbose_name=_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"), null=True, blank=True, db_index=True)
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.event} → {self.platform_id} ({self.get_status_display()})"


class WebhookAttempt(models.Model):
    """One try at a delivery: what the platform's server answered, or why it could not."""

    delivery = models.ForeignKey(WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE,
                                 related_name="attempt_log")
    number = models.PositiveIntegerField(verbose_name=_("attempt number"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    duration_ms = models.PositiveIntegerField(verbose_name=_("duration (ms)"), default=0)
    status_code = models.PositiveIntegerField(verbose_name=_("status code"), null=True, blank=True)
    error = models.TextField(verbose_name=_("error"), blank=True)
    succeeded = models.BooleanField(verbose_name=_("succeeded"), default=False)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique")]

    def __str__(self):
        return f"#{self.number} {self.status_code or self.error[:40]}"
