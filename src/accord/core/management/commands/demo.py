"""accord demo: load the demo catalogue, accounts and synthetic files (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accord.demo import load_demo
from accord.demo.catalogue import ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Load the demo catalogue (SMIC, CASMEMG), demo accounts and synthetic files."

    def handle(self, *args, **options):
        # The demo superuser's password and two-factor secret are published in the README:
        # on a production portal they would be anyone's way in.
        if not settings.DEBUG:
            raise CommandError(
                "accord demo creates accounts with published passwords, so it only runs in "
                "the demo (ACCORD_DEBUG=true, as `make demo` sets it)."
            )
        reports = load_demo()
        for slug, report in reports.items():
            self.stdout.write(
                f"  {slug:10} {report.total} files ({len(report.added)} added, "
                f"{len(report.changed)} changed, {len(report.unchanged)} unchanged)"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Demo logins (password {DEMO_PASSWORD!r}):")
        )
        for account in ACCOUNTS:
            role = (
                "superuser"
                if account.get("superuser")
                else f"staff of {account['staff_of']}"
                if account.get("staff_of")
                else "researcher"
            )
            self.stdout.write(f"  {account['email']:28} {account['full_name']} — {role}")
        self.stdout.write(
            "Staff and the superuser sign in with two-factor: add the demo secret "
            f"{DEMO_TOTP_SECRET} to an authenticator app, or run `make demo-code` for the "
            "current 6-digit code."
        )
