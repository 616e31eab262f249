"""Fixtures for the audit trail's tests of download events and applications."""

from tests.roles import (  # noqa: F401 - fixtures
    casmemg,
    ipcas_reviewer,
    licence,
    member,
    signing_key_file,
    student,
    variant,
)
