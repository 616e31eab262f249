"""Fixtures for the applicant's and the signer's journeys through the portal."""

from tests.roles import (  # noqa: F401 - fixtures
    casmemg,
    ipcas_reviewer,
    licence,
    member,
    professor,
    signing_key_file,
    student,
    variant,
)
