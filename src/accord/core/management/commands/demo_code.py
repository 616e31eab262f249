"""accord demo_code: the current two-factor code of the demo staff accounts (demo only)."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accord.demo.catalogue import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code shared by the demo staff accounts (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code only runs in the demo (ACCORD_DEBUG=true).")
        from allauth.mfa.models import Authenticator

        demo_secret_in_use = any(
            decrypt(a.data["secret"]) == DEMO_TOTP_SECRET
            for a in Authenticator.objects.filter(type=Authenticator.Type.TOTP)
        )
        if not demo_secret_in_use:
            raise CommandError("No account uses the demo two-factor secret; run `accord demo`.")
        counter = int(time.time()) // app_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter)))
