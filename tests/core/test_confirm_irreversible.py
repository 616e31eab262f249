"""Irreversible one-click actions ask first (accord.js reads data-confirm: no inline JS)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.accounts.services import api_token_create
from accord.agreements import services
from accord.licences.models import Licence

# ruff: noqa: F811 -- the agreements fixtures are imported and then requested by name.
from tests.agreements.conftest import casmemg, ipcas_reviewer, professor, student  # noqa: F401
from tests.agreements.factories import signer_confirms, submitted

pytestmark = pytest.mark.django_db


def test_signer_is_asked_before_removing_a_member(
    client, student, professor, casmemg, ipcas_reviewer
):
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    services.application_decide(decision="approve", application=application, actor=ipcas_reviewer)
    licence = Licence.objects.get()
    client.force_login(professor)
    html = client.get(reverse("agreements:licence_detail", args=[licence.reference])).content
    assert b'data-confirm="Remove ' in html
    assert b"Their access ends at once." in html


def test_applicant_is_asked_before_withdrawing(client, student, casmemg):
    application = submitted(student, casmemg)
    client.force_login(student)
    html = client.get(reverse("agreements:application_detail", args=[application.reference]))
    assert b'data-confirm="Withdraw application' in html.content


def test_revoking_a_token_asks_first(client, outsider):
    api_token_create(user=outsider, name="lab workstation")
    client.force_login(outsider)
    html = client.get(reverse("accounts:tokens")).content.decode()
    assert 'data-confirm="Revoke the token “lab workstation”?' in html


def test_script_honours_data_confirm():
    from pathlib import Path

    import accord

    script = (Path(accord.__file__).parent / "static/accord/accord.js").read_text()
    assert "dataset.confirm" in script and "window.confirm" in script
