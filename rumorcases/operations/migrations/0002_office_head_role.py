from django.db import migrations


def sync(apps, schema_editor):
    from rumorcases.operations.roles import sync_office_head

    sync_office_head(apps)


class Migration(migrations.Migration):
    """The office head's group: reads like the auditor, receives the last escalations."""

    dependencies = [("operations", "0001_initial"), ("core", "0004_roles_platform_api")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
