"""`manage.py send_digests`: send the digests of what users watch that are due now."""

from django.core.management.base import BaseCommand

from standards.models import DigestFrequency
from standards.watches import send_due


class Command(BaseCommand):
    help = (
        "Send the digests due now: at every run for users who get them immediately, once a "
        "day or once a week for the others."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=DigestFrequency.values,
            help="Only the users who get their digests at this frequency.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build the digests and count them; record and send nothing.",
        )

    def handle(self, *args, frequency=None, dry_run=False, **options):
        run = send_due(frequency=frequency, dry_run=dry_run)
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{run.checked} digests due, {run.sent} with news ({run.emailed} by email), "
            f"{run.empty} empty, {run.failed} failed."
        )
