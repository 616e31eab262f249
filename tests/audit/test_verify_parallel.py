"""`accord audit verify` walks a long chain in parallel segments (one forked process each) and
still names exactly the first broken event, whatever was edited, deleted, inserted or
reordered, at a join between segments or inside one."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accord.audit.checkpoints import load_file
from accord.audit.verify import verify_chain
from tests.audit.test_tamper import TAMPERINGS, _tampering, trail  # noqa: F401 - a fixture
from tests.tools import need_postgres

ROOT = Path(__file__).resolve().parents[2]
ACCORD = str(Path(sys.executable).with_name("accord"))


@pytest.fixture(autouse=True)
def _no_worker_checkpoints(settings):
    """The trail's events commit one by one here (a transactional test), and each commit
    would run the worker's checkpoint task at once (the test settings' immediate backend):
    queue them instead, so the trail has the checkpoints the tampering table expects."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# The tamperings of test_tamper that touch events at a join of the three segments below
# (#3|#4, #6|#7) or inside one, and those that rewrite everything after an edit.
AT_JOINS = {
    "swap_two_events",
    "swap_two_events_and_rechain",
    "delete_a_middle_event",
    "insert_a_forged_event_in_the_middle",
    "change_a_seq",
    "edit_a_target_label",
    "add_a_person_s_fields_beside_an_event",
    "edit_a_column",
    "edit_a_stored_link",
    "rechain_everything_after_an_edit",
    "append_forged_events_after_rechaining",
    "truncate_the_last_events",
}
SEGMENT_TAMPERINGS = [t for t in TAMPERINGS if t[0].__name__ in AT_JOINS]


@pytest.mark.parametrize(
    ("tamper", "kind", "where"),
    SEGMENT_TAMPERINGS,
    ids=[t[0].__name__ for t in SEGMENT_TAMPERINGS],
)
@pytest.mark.django_db(transaction=True)
def test_in_segments_verify_names_the_same_first_broken_event(
    trail,  # noqa: F811
    settings,
    tamper,
    kind,
    where,
):
    need_postgres(
        "the segments read the walk's own exported snapshot; the SQLite suite's database is "
        "in memory, so the file-database test below walks SQLite in segments"
    )
    # Ten events in three segments (#1–#3, #4–#6, #7–#10).
    settings.AUDIT_VERIFY_WORKERS, settings.AUDIT_VERIFY_PARALLEL_MIN = 3, 4
    assert len(SEGMENT_TAMPERINGS) == len(AT_JOINS)
    intact = verify_chain(checkpoints=load_file(trail))
    assert intact.ok and intact.segments == 3 and intact.checked == 10, str(intact)
    with _tampering():
        tamper()
    result = verify_chain(checkpoints=load_file(trail))
    assert not result.ok
    assert (result.kind, str(result).split(":")[0]) == (kind, f"BROKEN at {where}"), str(result)
    with pytest.raises(CommandError, match=f"^BROKEN at {re.escape(where)}"):
        call_command("audit", "verify", "--checkpoints", str(trail))


# --- SQLite, a file database as in production: the command line, end to end ----------------

EVENTS = 600


def _env(folder: Path, workers: int) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    clean.pop("PYTEST_CURRENT_TEST", None)
    return {
        **clean,
        "ACCORD_DEBUG": "true",
        "ACCORD_DATA_DIR": str(folder),
        "ACCORD_DATABASE_URL": f"sqlite:///{folder / 'accord.sqlite3'}",
        "ACCORD_AUDIT_VERIFY_WORKERS": str(workers),
        "ACCORD_AUDIT_VERIFY_PARALLEL_MIN": "100",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }


def _accord(folder: Path, *args: str, workers: int = 1) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ACCORD, *args], env=_env(folder, workers), capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def file_chain(tmp_path_factory) -> Path:
    """A migrated SQLite file with EVENTS download events appended as audit_record writes
    them."""
    folder = tmp_path_factory.mktemp("chain")
    migrated = _accord(folder, "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    script = "from bench import portal; portal._django(); print(portal.append_events(%d))"
    built = subprocess.run(
        [sys.executable, "-c", script % EVENTS],
        env={**_env(folder, 1), "DJANGO_SETTINGS_MODULE": "accord.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.stdout.strip() == str(EVENTS), built.stderr
    return folder


def _copy(file_chain: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(file_chain, folder)
    return folder


def test_a_file_database_is_verified_in_segments(file_chain, tmp_path):
    folder = _copy(file_chain, tmp_path)
    one = _accord(folder, "audit", "verify", workers=1)
    three = _accord(folder, "audit", "verify", workers=3)
    assert one.returncode == three.returncode == 0, one.stderr + three.stderr
    assert f"OK: {EVENTS} events verified;" in one.stdout
    assert f"OK: {EVENTS} events verified in 3 parallel segments;" in three.stdout
    head = one.stdout.split("; head ")[1].split(";")[0]
    assert f"; head {head}" in three.stdout


# Segments of 600 events in three: #1–#200, #201–#400, #401–#600.
SQL_TAMPERINGS = {
    "edit the last event of a segment": (
        'UPDATE audit_event SET details = \'{"backend":"s3"}\' WHERE seq = 200',
        "BROKEN at event #200",
    ),
    "delete the last event of a segment": (
        "DELETE FROM audit_eventpersonal WHERE event_id IN "
        "(SELECT id FROM audit_event WHERE seq = 400); DELETE FROM audit_event WHERE seq = 400",
        "BROKEN at event #400",
    ),
    "re-link the first event of a segment": (
        "UPDATE audit_event SET prev_hash = (SELECT hash FROM audit_event WHERE seq = 199) "
        "WHERE seq = 201",
        "BROKEN at event #201",
    ),
    "swap two events across a join": (
        "UPDATE audit_event SET seq = -1 WHERE seq = 200; "
        "UPDATE audit_event SET seq = 200 WHERE seq = 201; "
        "UPDATE audit_event SET seq = 201 WHERE seq = -1",
        "BROKEN at event #200",
    ),
    "edit an event inside the last segment": (
        "UPDATE audit_event SET licence_id = 9 WHERE seq = 555",
        "BROKEN at event #555",
    ),
}


@pytest.mark.parametrize("name", SQL_TAMPERINGS)
def test_in_segments_a_file_database_names_the_same_first_broken_event(file_chain, tmp_path, name):
    sql, where = SQL_TAMPERINGS[name]
    folder = _copy(file_chain, tmp_path)
    db = sqlite3.connect(folder / "accord.sqlite3")
    db.executescript(sql)
    db.close()
    one = _accord(folder, "audit", "verify", workers=1)
    three = _accord(folder, "audit", "verify", workers=3)
    assert one.returncode != 0 and three.returncode != 0
    assert where in one.stderr, one.stderr
    assert three.stderr == one.stderr
