from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from standards.services import create_demo_accounts


class Command(BaseCommand):
    help = (
        "Create or reset one demo account per role (regulator, negotiator, editor, "
        "administrator) with fresh random passwords, and print them. Development only: "
        "refuses to run unless DEBUG is on, so no production database gets demo accounts."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development only; run with DEBUG=True.")
        accounts = create_demo_accounts()
        self.stdout.write("Demo accounts (passwords are new on every run):")
        for username, password, role in accounts:
            self.stdout.write(f"  {role:<14} username: {username:<14} password: {password}")
        self.stdout.write(
            "The negotiator, editor and administrator belong to the Kazakh delegation: they "
            "read its internal notes and may produce its internal reports."
        )
