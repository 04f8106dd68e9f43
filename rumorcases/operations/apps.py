from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_office_head(sender, **kwargs):
    """After every migrate (and every test flush) the office head's group exists with exactly its
    permissions, as core does for the working roles."""
    from rumorcases.operations.roles import sync_office_head

    sync_office_head()


class OperationsConfig(AppConfig):
    name = "rumorcases.operations"
    label = "operations"
    verbose_name = _("Operations: deadlines and notifications")

    def ready(self):
        post_migrate.connect(_ensure_office_head, sender=self, dispatch_uid="rumorcases.operations.ensure_office_head")
