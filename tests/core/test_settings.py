"""Configuration comes from the environment and fails loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection


def _import_settings(tmp_path, **env):
    full = {**os.environ, "ACCORD_DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", "import accord.settings as s; print(s.DEBUG, s.SECRET_KEY[:4])"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCORD_DEBUG", "maybe"),
        ("ACCORD_DOWNLOAD_LINK_TTL", "ten"),
        ("ACCORD_STORAGE_BACKEND", "ftp"),
        ("ACCORD_SECRET_KEY", "short"),
        ("ACCORD_DATABASE_URL", "nosuchdb://x"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = _import_settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_demo_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = _import_settings(tmp_path, ACCORD_SECRET_KEY="", ACCORD_DEBUG="true")
    second = _import_settings(tmp_path, ACCORD_SECRET_KEY="", ACCORD_DEBUG="true")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _import_settings(tmp_path, ACCORD_SECRET_KEY="", ACCORD_DEBUG="false")
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY (or ACCORD_SECRET_KEY_FILE) is required" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # nothing written behind the operator's back


def test_settings_do_not_depend_on_the_test_runner(tmp_path):
    # The same environment gives the same settings whether or not pytest is imported.
    script = (
        "import sys, importlib; {pre}import accord.settings as s; "
        "print(s.PASSWORD_HASHERS[0], s.SESSION_COOKIE_SECURE, s.TASKS, s.SERVE_UNSCANNED_FILES)"
    )
    env = {**os.environ, "ACCORD_DATA_DIR": str(tmp_path), "ACCORD_SECRET_KEY": "k" * 40}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script.format(pre=pre)],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        for pre in ("", "import pytest; ")
    ]  # fmt: skip
    assert runs[0] == runs[1]
    assert "Argon2" in runs[0]


def test_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("f" * 40 + "\n")
    result = _import_settings(tmp_path, ACCORD_SECRET_KEY_FILE=str(secret))
    assert result.stdout.split()[1] == "ffff"


def test_debug_is_off_unless_asked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ACCORD_DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", "import accord.settings as s; print(s.DEBUG)"],
        env={**env, "ACCORD_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "False"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only behaviour; this run uses " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        timeout_ms = cursor.fetchone()[0]
    # the in-memory test database cannot use WAL; a file database must
    assert mode in ("wal", "memory")
    assert timeout_ms >= 1000


def test_sqlite_file_database_uses_wal(tmp_path):
    db = tmp_path / "accord.sqlite3"
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='accord.settings'; "
        "django.setup(); from django.db import connection; c=connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "ACCORD_DATA_DIR": str(tmp_path),
            "ACCORD_DATABASE_URL": f"sqlite:///{db}",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "wal", result.stderr


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    encoded = make_password("correct horse battery staple")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("correct horse battery staple", encoded)
