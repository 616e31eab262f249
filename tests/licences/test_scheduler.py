"""``accord schedule`` is safe to run often and on several machines: two processes started at
the same instant against one PostgreSQL database send each email once and expire each licence
once, and each run is recorded."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accord.audit.models import Event
from accord.licences.models import Licence
from accord.notifications.models import OutgoingEmail, ScheduledRun, SentReminder
from tests.access.factories import licence_for
from tests.downloads import conftest as downloads
from tests.tools import need_postgres

variant = downloads.variant
member = downloads.member
signing_key_file = downloads.signing_key_file


def _licences(variant, member):
    now = timezone.now()
    reminded = licence_for(
        variants=[variant], members=[member], expires_at=now + dt.timedelta(days=7, hours=-1)
    )
    ending = licence_for(variants=[variant], expires_at=now - dt.timedelta(minutes=1))
    return reminded, ending


def _accord_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@", 1)
    return {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_DEBUG": "true",
        "ACCORD_TASKS_BACKEND": "database",
        "DJANGO_SETTINGS_MODULE": "accord.settings",
    }


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_at_once_send_each_email_once(variant, member, signing_key_file):
    need_postgres("two processes racing for the same rows and reminder keys")
    reminded, ending = _licences(variant, member)
    accord = [sys.executable, "-m", "accord.cli", "schedule"]
    env = _accord_env()
    runs = [
        subprocess.Popen(accord, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err.decode()

    subjects = list(OutgoingEmail.objects.values_list("subject", flat=True))
    assert sum(f"{reminded.reference} expires in 7 days" in s for s in subjects) == 2
    assert sum(f"{ending.reference} has expired" in s for s in subjects) == 1  # signer only
    assert SentReminder.objects.filter(key__contains=f":{reminded.pk}:").count() == 1
    assert Event.objects.filter(event_type="agreements:licence:expire").count() == 1
    assert Licence.objects.get(pk=ending.pk).status == Licence.Status.EXPIRED
    assert ScheduledRun.objects.filter(finished_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_running_the_scheduler_again_does_nothing_twice(
    variant, member, signing_key_file, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    _licences(variant, member)
    call_command("schedule", stdout=io.StringIO())
    first = len(mail.outbox)
    assert first == 3  # the 7-day reminder to signer and member, the expiry to the signer
    for _ in range(3):
        call_command("schedule", stdout=io.StringIO())
    assert len(mail.outbox) == first
    runs = ScheduledRun.objects.order_by("started_at")
    assert [(r.results["expiry_reminders"], r.results["expire"]) for r in runs] == [
        (1, 1),
        (0, 0),
        (0, 0),
        (0, 0),
    ]
    assert not any(r.errors for r in runs)
