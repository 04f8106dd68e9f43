from django.db import migrations


def sync(apps, schema_editor):
    from rumorcases.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    """Supervisors manage platforms' API tokens and webhook deliveries; auditors read them."""

    dependencies = [("core", "0003_roles_edit_case_details"), ("platforms", "0002_api_tokens_and_webhooks")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
