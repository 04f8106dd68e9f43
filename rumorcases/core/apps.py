from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles_and_chain_head(sender, using="default", **kwargs):
    """After every migrate (and every test flush): the roles exist with exactly their
    permissions, and the audit chain has its head row."""
    from rumorcases.core.models import AuditChainHead
    from rumorcases.core.roles import sync_roles

    sync_roles()
    AuditChainHead.objects.using(using).get_or_create(id=1)


class CoreConfig(AppConfig):
    name = "rumorcases.core"
    label = "core"
    verbose_name = _("Core: audit trail and notifications")

    def ready(self):
        post_migrate.connect(_ensure_roles_and_chain_head, sender=self,
                             dispatch_uid="rumorcases.core.ensure_roles_and_chain_head")
        # The request id travels with the Celery tasks a request queues (core/request_id.py).
        from rumorcases.core.request_id import connect_celery_signals

        connect_celery_signals()
