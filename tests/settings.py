"""The test suite's settings (pytest's DJANGO_SETTINGS_MODULE): production settings from
accord.settings, plus what tests need and production must never have. Subprocesses that run
`accord` or gunicorn get accord.settings with an environment of their own."""

from __future__ import annotations

import os

# A fixed key for the test process only: production requires ACCORD_SECRET_KEY.
os.environ.setdefault("ACCORD_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 32)

from accord.core.env import env_bool, env_str
from accord.settings import *  # noqa: F403
from accord.settings import (
    ALLOWED_HOSTS,
    DATABASES,
    PASSWORD_HASHERS,
    STORAGES,
)

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", "127.0.0.1", "localhost"]
if not env_bool("ACCORD_TEST_REAL_HASHER"):
    # Argon2 is deliberately slow; tests of hashing itself set ACCORD_TEST_REAL_HASHER.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
ACCOUNT_RATE_LIMITS = False
# The test client speaks plain http.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Test files are ingested without clamd; tests of the scanning policy set it off.
SERVE_UNSCANNED_FILES = env_bool("ACCORD_SERVE_UNSCANNED_FILES", True)
# Tasks (email delivery, checkpoints) run on commit; tests of the worker switch to the database
# backend themselves.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
if env_str("ACCORD_TEST_DATABASE_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str("ACCORD_TEST_DATABASE_NAME")
