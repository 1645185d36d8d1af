from django.core.management.base import BaseCommand, CommandError

from standards import backup


class Command(BaseCommand):
    help = (
        "Write the whole portal into one file (gzip'd JSON; import_portal restores it): "
        "standards, clauses, mappings with their clause sets, limits, parameters, "
        "negotiation notes, the change history, users, groups and memberships, and the "
        "admin log. Rows keep their ids; groups, permissions and content types are named "
        "by natural key. Left out, as the running portal rebuilds or renews them: content "
        "types and permissions (created by migrate), rendered reports (a cache), background "
        "task results, sessions, spreadsheet uploads awaiting confirmation, the worker "
        "heartbeat and login-attempt records. The file holds password hashes and "
        "pre-negotiation positions and is written readable by its owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the backup file to write (e.g. portal.json.gz)")

    def handle(self, *args, file, **options):
        try:
            counts = backup.export_portal(file)
        except backup.BackupError as exc:
            raise CommandError(f"No backup written. {exc}") from None
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows:,}")
        self.stdout.write(
            self.style.SUCCESS(f"Portal written to {file} ({sum(counts.values()):,} objects).")
        )
