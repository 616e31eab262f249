"""``accord schedule``: run every periodic step of the licence lifecycle once and record the
run. Idempotent and safe to start on several machines at once (see accord.licences.lifecycle);
deploy/systemd/accord-schedule.timer runs it every 15 minutes."""

from __future__ import annotations

import os
import socket

from django.core.management.base import BaseCommand

from accord.core import clock
from accord.licences.lifecycle import STEPS
from accord.notifications.models import ScheduledRun


class Command(BaseCommand):
    help = "Run the periodic work (reminders, deadlines, expiry) once; safe to run often."

    def add_arguments(self, parser):
        parser.add_argument("--step", choices=sorted(STEPS), action="append", help="only these")

    def handle(self, *args, step=None, **options):
        started = clock.now()
        run = ScheduledRun.objects.create(
            started_at=started, host=socket.gethostname()[:200], pid=os.getpid()
        )
        for name, function in STEPS.items():
            if step and name not in step:
                continue
            try:
                run.results[name] = function(now=started)
            except Exception as exc:  # one failing step must not stop the others
                run.errors[name] = f"{type(exc).__name__}: {exc}"[:2000]
                self.stderr.write(f"{name}: {run.errors[name]}")
        run.finished_at = clock.now()
        run.save(update_fields=["results", "errors", "finished_at"])
        summary = ", ".join(f"{k}={v}" for k, v in run.results.items()) or "nothing to run"
        self.stdout.write(f"schedule run {run.pk}: {summary}")
        if run.errors:
            raise SystemExit(1)
