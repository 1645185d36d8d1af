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
    dependencies = [
        ("standards", "0006_report_file_and_update_times"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
