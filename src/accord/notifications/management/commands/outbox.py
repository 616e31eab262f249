"""``accord outbox``: what the email outbox holds, and sending what is due again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accord.notifications.models import OutgoingEmail
from accord.notifications.outbox import retry_due


class Command(BaseCommand):
    help = "List emails that failed or wait to be sent; `retry` sends those that are due now."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["status", "retry"], default="status")
        parser.add_argument(
            "--include-gave-up",
            action="store_true",
            help="with retry: also try again emails given up on",
        )

    def handle(self, *args, action, include_gave_up, **options):
        if action == "retry":
            n = retry_due(include_gave_up=include_gave_up)
            self.stdout.write(f"tried {n} email(s)")
        pending = OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT)
        if not pending.exists():
            self.stdout.write("outbox: every email has been sent")
            return
        for row in pending.order_by("created"):
            self.stdout.write(
                f"#{row.id} {row.status} attempts={row.attempts} to={','.join(row.recipients)} "
                f"subject={row.subject!r} next={row.next_attempt or '-'} error={row.last_error!r}"
            )
