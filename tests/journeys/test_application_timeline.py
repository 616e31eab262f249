"""The applicant's application page tells the whole story, including the signer's
confirmation, and says what happens next."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.agreements.factories import signer_confirms, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _page(client, user, application) -> str:
    client.force_login(user)
    url = reverse("agreements:application_detail", args=[application.reference])
    return client.get(url).content.decode()


def test_history_shows_the_signers_confirmation(client, student, professor, casmemg):
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    page = _page(client, student, application)
    history = page[page.index('id="history"') :]
    assert "The signer confirmed signing the agreement" in history
    assert "prof.ada@uni-example.edu" in history
    assert "Signed agreement uploaded" in history
    assert "Submitted; waiting for review" in history


def test_applicant_waiting_for_the_signer_is_told_so(client, student, casmemg):
    application = submitted(student, casmemg)
    page = _page(client, student, application)
    assert 'id="next-step"' in page
    assert "Waiting for the signer (prof.ada@uni-example.edu)" in page
