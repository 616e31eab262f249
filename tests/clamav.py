"""A real clamd for the tests that scan (dataset ingest, agreement uploads), started once per
test session on a temporary socket.

There is no network for freshclam, so the signature database is one line in ClamAV's .ndb
format that recognises the EICAR test string. Without clamd installed the tests that need it
skip outside CI and fail in CI (``tests.tools.need_executable``).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from accord.catalog.scanning import ping
from tests.tools import need_executable

# The EICAR anti-virus test file: harmless, recognised by every scanner as a test "virus".
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Accord.Test.EICAR"
STREAM_MAX_LENGTH = 10 << 20


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """The address of a running clamd (ACCORD_CLAMD_ADDRESS's form: a socket path)."""
    binary = need_executable("clamd", "malware scanning of ingested files and agreements")
    root = tmp_path_factory.mktemp("clamd")
    db = root / "db"
    db.mkdir()
    (db / "accord-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    sock = root / "clamd.sock"
    conf = root / "clamd.conf"
    conf.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {db}\nForeground yes\n"
        f"LogFile {root / 'clamd.log'}\nPidFile {root / 'clamd.pid'}\n"
        f"StreamMaxLength {STREAM_MAX_LENGTH}\n"
    )
    output = (root / "clamd.out").open("wb")  # a file, not a pipe: clamd may talk a lot
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not ping(str(sock), timeout=1):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = (root / "clamd.out").read_text(errors="replace")
            log = (root / "clamd.log").read_text() if (root / "clamd.log").exists() else ""
            pytest.fail(f"clamd did not start: {out}\n{log}")
        time.sleep(0.2)
    yield str(sock)
    proc.terminate()
    proc.wait(timeout=20)
    output.close()
