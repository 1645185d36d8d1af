from django.contrib.auth.management import create_permissions
from django.db import migrations


def sync(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    from standards.roles import sync_roles

    sync_roles(apps, strict=False)


class Migration(migrations.Migration):
    dependencies = [("standards", "0009_negotiation_notes")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
