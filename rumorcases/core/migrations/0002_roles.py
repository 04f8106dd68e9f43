from django.db import migrations


def create_chain_head(apps, schema_editor):
    # Exists from the start, so writers only ever lock it and never race to create it.
    apps.get_model("core", "AuditChainHead").objects.get_or_create(id=1)


def create_roles(apps, schema_editor):
    from rumorcases.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cases", "0002_initial"),
        ("notices", "0001_initial"),
        ("disposal", "0001_initial"),
        ("bulletins", "0001_initial"),
        ("platforms", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
