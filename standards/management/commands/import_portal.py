from django.core.management.base import BaseCommand, CommandError

from standards import backup


class Command(BaseCommand):
    help = (
        "Restore a file written by export_portal into an empty database migrated to the "
        "same migrations as the portal the file was taken from. Refused, with nothing "
        "written, when the database already holds standards, clauses, mappings, users or "
        "any other backed-up data (the role groups the migrations create are fine), when "
        "the file is not such a backup or is truncated or damaged, or when the migrations "
        "differ. One transaction: all or nothing. Rows keep their ids, times and history "
        "(no new history is recorded); id sequences are reset afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of a backup file written by export_portal")

    def handle(self, *args, file, **options):
        try:
            counts = backup.import_portal(file)
        except backup.BackupError as exc:
            raise CommandError(f"Not restored, nothing was changed. {exc}") from None
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows:,}")
        self.stdout.write(
            self.style.SUCCESS(f"Portal restored from {file} ({sum(counts.values()):,} objects).")
        )
