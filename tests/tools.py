"""Skip-or-fail for suites that need a system tool: outside CI a missing tool skips with a
plain reason; in CI (CI=true) it fails, never a silent skip."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def need_executable(name: str, why: str, *, candidates: tuple[str, ...] = ()) -> str:
    for candidate in (name, *candidates):
        path = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
        if path:
            return path
    message = f"{name} is not installed ({why}); `apt-get install` it or run .ci/run"
    if IN_CI:
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)
    raise AssertionError("unreachable")


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


# The audit tables' append-only guards on PostgreSQL (table: trigger); SQLite has none.
AUDIT_GUARDS = {
    "audit_event": "audit_event_append_only",
    "audit_checkpoint": "audit_checkpoint_append_only",
    "audit_eventpersonal": "audit_personal_erase_only",
    "audit_journalentry": "audit_journal_append_only",
}


@contextmanager
def guards_off(*tables: str) -> Iterator[None]:
    """Write as the database's owner would: PostgreSQL's append-only guards on ``tables``
    switched off (an owner can), so only verify stands between a forger and the history."""
    from django.db import connection

    switch = [(t, AUDIT_GUARDS[t]) for t in tables] if is_postgres() else []
    with connection.cursor() as cursor:
        for table, trigger in switch:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table, trigger in switch:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def need_postgres(why: str) -> None:
    """For behaviour only PostgreSQL shows (row locks, triggers). The SQLite run skips; the
    PostgreSQL run of .ci/run executes it."""
    if not is_postgres():
        pytest.skip(f"needs PostgreSQL ({why}); .ci/run runs the suite on PostgreSQL too")
