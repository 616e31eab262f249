"""Fixtures shared by this folder's tests."""

from tests.roles import (  # noqa: F401 - fixtures
    casmemg,
    data_manager,
    ipcas_reviewer,
    licence,
    member,
    professor,
    signing_key_file,
    student,
    variant,
)
