"""A member invited to a licence reads the terms they accept in their language where the
custodian translated a clause, marked as a translation of the governing English text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.agreements import services
from accord.catalog.services_translations import ClauseWords, terms_translation_update
from accord.licences.models import Licence
from tests import factories
from tests.agreements.factories import signer_confirms, submitted

pytestmark = pytest.mark.django_db

C1_FI = "Ei kaupallista käyttöä"


@pytest.fixture
def licence(student, professor, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    services.application_decide(decision="approve", application=application, actor=ipcas_reviewer)
    translator = factories.StaffFactory(custodian=casmemg.custodian, data_manager=True).user
    terms_translation_update(
        version=application.license_version,
        actor=translator,
        words=[ClauseWords("C1", "fi", C1_FI, "Aineistoa ei saa käyttää kaupallisesti.")],
    )
    return Licence.objects.get()


def _accept_page(client, licence, language: str) -> str:
    member = licence.members.get()
    client.force_login(factories.UserFactory(email=member.email, language=language))
    return client.get(reverse("agreements:member_accept", args=[member.pk])).content.decode()


def test_finnish_member_reads_the_translated_clause_with_the_english_governing(client, licence):
    page = _accept_page(client, licence, "fi")
    assert C1_FI in page
    assert page.count("translation-note") == 1
    assert "Safe keeping" in page  # C3 untranslated: the English


def test_english_member_reads_the_english_clause(client, licence):
    page = _accept_page(client, licence, "en")
    assert C1_FI not in page
    assert "No commercial use" in page
    assert "translation-note" not in page
