from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "rumorcases.api"
    label = "api"
    verbose_name = _("Platform API")

    def ready(self):
        # Registers the OpenAPI description of the bearer-token authentication.
        from rumorcases.api import schema  # noqa: F401
