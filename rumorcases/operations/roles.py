"""The office head: the last step of the escalation ladder.

There is no "office head" among the office's working roles (core/roles.py): the head reads
everything, like the auditor, and is told of deadlines missed long ago. The group is created by
this app's data migration (0002); give it to the head (and a deputy) in the admin.
"""

from rumorcases.core import roles

OFFICE_HEAD = "office_head"

# What the auditor reads, plus the escalations.
OFFICE_HEAD_PERMISSIONS = sorted({*roles.ROLE_PERMISSIONS[roles.AUDITOR], "operations.view_escalation"})


def sync_office_head(apps=None):
    """Create the group and give it exactly its permissions (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _created = group_model.objects.get_or_create(name=OFFICE_HEAD)
    wanted = []
    for perm in OFFICE_HEAD_PERMISSIONS:
        app_label, codename = perm.split(".")
        wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)
