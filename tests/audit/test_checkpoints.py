"""Signed checkpoints: written by the worker one interval after appends (and on demand),
exported for a custodian to keep elsewhere, and checked by `accord audit verify`."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.audit.models import AuditHead, Checkpoint, Event
from accord.audit.services import audit_record
from accord.audit.verify import verify_chain
from tests import factories

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _append(n: int = 1) -> None:
    for i in range(n):
        audit_record(event_type="test:thing:happen", details={"i": i})


def _run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


def _checkpoint_tasks():
    return DBTaskResult.objects.filter(task_path__endswith="audit_checkpoint")


@pytest.mark.django_db(transaction=True)
def test_the_worker_checkpoints_appends_within_one_interval(settings):
    settings.AUDIT_CHECKPOINT_SECONDS = 300
    with override_settings(TASKS=DATABASE_TASKS):
        _append()  # the first event ever: a checkpoint is due at once
        assert _checkpoint_tasks().count() == 1
        _run_worker()
        first = Checkpoint.objects.get()
        assert first.seq == 1

        _append(5)  # within the interval: one task, due an interval after the checkpoint
        waiting = _checkpoint_tasks().filter(status="READY")
        assert waiting.count() == 1
        assert waiting.get().run_after == AuditHead.objects.get().checkpoint_due
        assert waiting.get().run_after == first.created + timedelta(seconds=300)
        _run_worker()
        assert Checkpoint.objects.count() == 1  # not due yet

        waiting.update(run_after=timezone.now())  # the interval has passed
        _run_worker()
    latest = Checkpoint.objects.order_by("-number").first()
    assert (latest.number, latest.seq) == (2, 6)
    assert AuditHead.objects.get().checkpoint_due is None
    assert verify_chain().checkpoints == 2


@pytest.mark.django_db(transaction=True)
def test_a_lost_checkpoint_task_is_enqueued_again(settings):
    settings.AUDIT_CHECKPOINT_SECONDS = 60
    with override_settings(TASKS=DATABASE_TASKS):
        _append()
        _checkpoint_tasks().delete()  # the worker died with it
        AuditHead.objects.update(checkpoint_due=timezone.now() - timedelta(seconds=121))
        _append()
        assert _checkpoint_tasks().count() == 1
        _run_worker()
    assert Checkpoint.objects.get().seq == 2


@pytest.mark.django_db(transaction=True)
def test_without_a_deferring_backend_the_first_append_after_the_interval_checkpoints():
    _append()  # the immediate backend runs the task as the append commits
    assert Checkpoint.objects.get().seq == 1
    _append(2)
    assert Checkpoint.objects.count() == 1
    AuditHead.objects.update(checkpointed_at=timezone.now() - timedelta(hours=1))
    _append()
    assert Checkpoint.objects.order_by("-number").first().seq == 4


@pytest.mark.django_db
def test_checkpoint_on_demand_then_export_and_verify_against_it(tmp_path, capsys):
    _append(3)
    call_command("audit", "checkpoint")
    assert "Checkpoint 1 signed over event #3" in capsys.readouterr().out
    call_command("audit", "checkpoint")
    assert "already covers the head" in capsys.readouterr().out

    kept = tmp_path / "checkpoints.json"
    call_command("audit", "checkpoints", "export", str(kept))
    assert "1 signed checkpoints written" in capsys.readouterr().out
    document = json.loads(kept.read_text())
    assert document["format"] == "accord-audit-checkpoints/1"
    assert "BEGIN PUBLIC KEY" in document["public_key"] and len(document["checkpoints"]) == 1
    with pytest.raises(CommandError, match="exists already"):
        call_command("audit", "checkpoints", "export", str(kept))
    out = StringIO()
    call_command("audit", "checkpoints", "export", "-", stdout=out)
    streamed = json.loads(out.getvalue())
    assert streamed["checkpoints"] == document["checkpoints"]

    _append()
    call_command("audit", "verify", "--checkpoints", str(kept))
    out = capsys.readouterr().out
    assert "OK: 4 events verified" in out and "1 signed checkpoints agree" in out


@pytest.mark.django_db
def test_verify_refuses_a_file_that_is_not_a_checkpoint_export(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"format": "something else"}')
    with pytest.raises(CommandError, match="is not a checkpoint export"):
        call_command("audit", "verify", "--checkpoints", str(bogus))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("audit", "verify", "--checkpoints", str(tmp_path / "missing.json"))


@pytest.mark.django_db
def test_verify_without_the_audit_key_says_to_install_it(settings, tmp_path):
    _append()
    settings.AUDIT_KEY_FILE = tmp_path / "nowhere" / "audit.pem"
    with pytest.raises(CommandError, match="install the escrowed key"):
        call_command("audit", "verify")
    assert not settings.AUDIT_KEY_FILE.exists()  # verify never mints a key


@pytest.mark.django_db
def test_staff_who_may_export_download_the_checkpoints(client, custodian, staff, outsider):
    _append(2)
    call_command("audit", "checkpoint", stdout=StringIO())
    manager = factories.StaffFactory(custodian=custodian, data_manager=True).user
    client.force_login(manager)
    page = client.get(reverse("audit:event_list")).content.decode()
    assert "Latest signed checkpoint: 1, over event #2" in page
    response = client.get(reverse("audit:checkpoint_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="accord-audit-')
    document = json.loads(b"".join(response.streaming_content))
    assert [json.loads(c["statement"])["seq"] for c in document["checkpoints"]] == [2]
    recorded = Event.objects.get(event_type="audit:checkpoints:export")
    assert (recorded.actor_id, recorded.custodian_id) == (manager.id, custodian.id)

    for who in (staff, outsider):  # a reviewer may not export; an outsider is not staff
        client.force_login(who)
        assert client.get(reverse("audit:checkpoint_export")).status_code == 404
