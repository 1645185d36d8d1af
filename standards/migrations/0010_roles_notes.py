from django.db import migrations

from standards.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [("standards", "0009_negotiation_notes")]

    operations = [migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)]
