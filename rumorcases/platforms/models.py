from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    """An internet platform the office deals with (Weibo, Douyin, ...)."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_key = models.BooleanField(_("key platform"), default=False)
    contact_email = models.EmailField(blank=True)
    webhook_url = models.URLField(blank=True)
    # The HMAC key for signing webhook bodies; shown to the platform once, never in public output.
    webhook_secret = models.CharField(max_length=128, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_key", "name"]
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")

    def __str__(self):
        return self.name
