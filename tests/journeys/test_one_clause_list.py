"""The web form and the agreement PDF attest the same clauses, taken from one list: a clause
only the portal enforces is attested in neither."""

from __future__ import annotations

import pytest

from accord.agreements.documents import pdf_data
from accord.agreements.forms import ApplicationForm
from tests.agreements.factories import draft

pytestmark = pytest.mark.django_db


def test_the_form_and_the_pdf_attest_the_same_clauses(student, casmemg):
    application = draft(student, casmemg)
    on_the_form = [
        name.removeprefix("attest_")
        for name in ApplicationForm(application=application).fields
        if name.startswith("attest_")
    ]
    on_the_pdf = [code for code, _title, _text in pdf_data(application).clauses]
    assert on_the_form == on_the_pdf == ["C1", "C3"]
