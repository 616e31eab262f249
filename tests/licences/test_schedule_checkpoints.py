"""`accord schedule` also signs an audit checkpoint when events are not yet covered by one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accord.audit.models import AuditHead, Checkpoint
from accord.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_schedule_signs_a_checkpoint_over_uncovered_events_once(settings, tmp_path):
    settings.AUDIT_KEY_FILE = tmp_path / "audit.pem"
    audit_record(event_type="tests:schedule:something")
    call_command("schedule", stdout=io.StringIO())
    head = AuditHead.objects.get(id=1)
    checkpoint = Checkpoint.objects.order_by("-number").first()
    assert checkpoint is not None
    assert checkpoint.seq == head.seq  # covers everything, the run's own record included

    count = Checkpoint.objects.count()
    call_command("schedule", stdout=io.StringIO())
    assert Checkpoint.objects.count() == count  # nothing new to cover: nothing signed
