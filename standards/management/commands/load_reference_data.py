from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from standards.reference import DATA_DIR, ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = (
        "Load the sourced reference dataset (standards, clauses, limits, mappings) from "
        "standards/data/reference/. Idempotent: records are matched on stable keys and a "
        "second run changes nothing. Atomic: a malformed file stops the load with a message "
        "naming file, record and field, and nothing is written. The negotiation assessment "
        "of an existing mapping is kept unless --reset-assessments is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="folder of .yaml files")
        parser.add_argument(
            "--reset-assessments",
            action="store_true",
            help=(
                "also overwrite alignment, status, rationale and proposed action "
                "of existing mappings"
            ),
        )

    def handle(self, *args, data_dir, reset_assessments, **options):
        try:
            summary = load_reference_data(data_dir, reset_assessments=reset_assessments)
        except ReferenceDataError as exc:
            raise CommandError(f"Reference data not loaded, nothing was changed. {exc}") from None
        for line in summary.lines():
            self.stdout.write(line)
        for line in summary.change_lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                "Reference data loaded."
                if summary.changed()
                else "Reference data already up to date."
            )
        )
