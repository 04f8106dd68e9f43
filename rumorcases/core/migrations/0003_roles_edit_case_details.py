from django.db import migrations


def sync(apps, schema_editor):
    from rumorcases.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """Intake officers and verifiers may correct a case's title, claim and category."""

    dependencies = [("core", "0002_roles")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
