"""An `accord ingest` killed outright (SIGKILL: no clean-up at all) resumes from its journal
when the operator runs the same command again: a real process, its own database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accord.catalog.ingest_files import TEST_SIGNAL_AFTER

ROOT = Path(__file__).resolve().parents[2]
FILES = 40
SETUP = """
from accord.catalog.models import Custodian, Dataset, Variant
c = Custodian.objects.create(slug="lab", name="Lab", country="Finland",
                             contact_email="lab@lab.example")
d = Dataset.objects.create(custodian=c, slug="casme", name="CASME", summary="s",
                           description="d")
Variant.objects.create(dataset=d, slug="smic-e", name="SMIC-E")
"""


@pytest.fixture
def portal(tmp_path) -> dict[str, str]:
    """A throw-away installation (SQLite, its own data folder), as an operator has one."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "ACCORD_DATA_DIR": str(tmp_path / "var"),
        "ACCORD_SECRET_KEY": "tests-" + "x" * 40,
        "ACCORD_ALLOWED_HOSTS": "localhost",
        "ACCORD_EMAIL_BACKEND": "locmem",
    }
    for name in ("ACCORD_DATABASE_URL", "ACCORD_CLAMD_ADDRESS", "ACCORD_PROTECTED_ROOT"):
        env.pop(name, None)
    for args in (["migrate", "-v0"], ["shell", "-c", SETUP]):
        done = _accord(env, *args)
        assert done.returncode == 0, done.stderr
    return env


def _accord(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_killed_ingest_resumes_reading_only_what_it_had_not_recorded(portal, tmp_path):
    folder = tmp_path / "release"
    for i in range(FILES):
        path = folder / f"s{i % 5:02d}" / f"frame{i:03d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(20_000 + i))
    var = Path(portal["ACCORD_DATA_DIR"])

    killed = _accord({**portal, TEST_SIGNAL_AFTER: "15:KILL"}, "ingest", "smic-e", str(folder))
    assert killed.returncode == -9, killed.stderr
    journal = var / "ingest" / "smic-e.journal"
    assert len(journal.read_text().splitlines()) == 15

    again = _accord(portal, "ingest", "smic-e", str(folder))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("resumed:") == 1
    assert f"resumed: 15 files already recorded, hashing {FILES - 15}" in again.stdout
    assert f"read {FILES - 15} files" in again.stdout
    assert f"smic-e: {FILES} added" in again.stdout
    assert not journal.exists()
    protected = var / "protected"
    stored = [p for p in protected.rglob("*") if p.is_file()]
    assert len(stored) == FILES  # one copy per file: nothing the killed run was writing
    assert not (protected / ".ingest-partial").exists()
