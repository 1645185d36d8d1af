from django.db import migrations

from standards.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0006_report_file_and_update_times"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)]
