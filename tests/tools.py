"""Skip-or-fail for suites that need a system tool: outside CI a missing tool skips with a
plain reason; in CI (CI=true) it fails, never a silent skip."""

from __future__ import annotations

import os
import shutil

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


def need_postgres(why: str) -> None:
    """For behaviour only PostgreSQL shows (row locks, triggers). The SQLite run skips; the
    PostgreSQL run of .ci/run executes it."""
    if not is_postgres():
        pytest.skip(f"needs PostgreSQL ({why}); .ci/run runs the suite on PostgreSQL too")
