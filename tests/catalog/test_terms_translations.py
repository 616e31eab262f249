"""Custodian staff translate the clauses of published terms beside them (the terms' words, and
so their digest, never change); readers see their language's translation, marked as one with
the English governing, on the dataset page, the application form and the agreement PDF, and
the English where none was given."""

from __future__ import annotations

import pypdfium2
import pytest
from django.urls import reverse

from accord.audit.models import Event
from accord.catalog.models import ClauseTranslation, LicenseVersion
from accord.catalog.services_staff import terms_digest
from accord.catalog.services_translations import (
    TRANSLATION_EVENT,
    ClauseWords,
    terms_translation_update,
)
from accord.core.errors import NotFound
from tests import factories
from tests.agreements.factories import draft, policy_dataset

pytestmark = pytest.mark.django_db

C1_ZH_TITLE = "禁止商业用途"
C1_ZH_TEXT = "数据不得用于任何商业目的。"
C3_EN_TITLE = "Safe keeping"


@pytest.fixture
def terms(custodian):
    dataset = policy_dataset(custodian)
    return dataset, dataset.license_versions.get(version=1)


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


def _page(client, slug, version=None):
    url = reverse("catalog:staff_terms_translations", args=[slug])
    return url if version is None else f"{url}?version={version}"


def _translate_c1(client, dataset, version, *, title=C1_ZH_TITLE, text=C1_ZH_TEXT):
    c1 = version.clauses.get(code="C1")
    return client.post(
        _page(client, dataset.slug),
        {
            "version": version.version,
            f"c{c1.pk}-zh-hans-title": title,
            f"c{c1.pk}-zh-hans-text": text,
        },
    )


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return "".join(text.split())  # CJK lines break anywhere


def _chinese_applicant():
    return factories.UserFactory(email="li.student@uni-example.edu", language="zh-hans")


def test_staff_see_every_clause_missing_before_anything_is_translated(client, terms, data_manager):
    dataset, _version = terms
    client.force_login(data_manager)
    page = client.get(_page(client, dataset.slug)).content.decode()
    assert "No commercial use" in page and C3_EN_TITLE in page
    assert page.count('class="missing"') == 6  # three clauses, two languages
    assert "3 clauses not translated yet" in page


def test_staff_translate_a_published_clause_without_changing_the_terms(client, terms, data_manager):
    dataset, version = terms
    digest = terms_digest(version)
    client.force_login(data_manager)
    response = _translate_c1(client, dataset, version)
    assert response.status_code == 302
    saved = ClauseTranslation.objects.get(clause__code="C1", language="zh-hans")
    assert (saved.title, saved.text, saved.translated_by) == (C1_ZH_TITLE, C1_ZH_TEXT, data_manager)
    version = LicenseVersion.objects.get(pk=version.pk)
    assert version.is_frozen
    assert terms_digest(version) == digest
    page = client.get(response["Location"]).content.decode()
    assert C1_ZH_TITLE in page
    assert "2 clauses not translated yet" in page  # Chinese: C3 and C6 left


def test_a_translation_is_audited_without_the_translators_personal_data(
    client, terms, data_manager
):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    (event,) = Event.objects.filter(event_type=TRANSLATION_EVENT)
    assert event.actor_id == data_manager.pk
    assert event.custodian_id == dataset.custodian_id
    assert event.details["version"] == 1
    assert event.details["changes"]["C1:zh-hans:title"] == {"before": "", "after": C1_ZH_TITLE}
    assert data_manager.email not in event.payload
    assert data_manager.full_name not in event.payload


def test_saving_the_page_unchanged_records_nothing(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    c1 = version.clauses.get(code="C1")
    field = f"c{c1.pk}-zh-hans-title"
    # What the browser sends back untouched: each value with the value the page showed.
    client.post(
        _page(client, dataset.slug),
        {"version": 1, field: C1_ZH_TITLE, f"initial-{field}": C1_ZH_TITLE},
    )
    assert Event.objects.filter(event_type=TRANSLATION_EVENT).count() == 1
    assert ClauseTranslation.objects.get(clause=c1).text == C1_ZH_TEXT


def test_emptying_a_translation_shows_readers_the_english_again(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    c1 = version.clauses.get(code="C1")
    key = f"c{c1.pk}-zh-hans"
    client.post(
        _page(client, dataset.slug),
        {
            "version": 1,
            f"{key}-title": "",
            f"initial-{key}-title": C1_ZH_TITLE,
            f"{key}-text": "",
            f"initial-{key}-text": C1_ZH_TEXT,
        },
    )
    assert not ClauseTranslation.objects.filter(clause=c1).exists()
    page = client.get(
        reverse("catalog:dataset_detail", args=[dataset.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert C1_ZH_TITLE not in page
    assert "No commercial use" in page


def test_chinese_reader_sees_the_translation_on_the_dataset_page(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    client.logout()
    page = client.get(
        reverse("catalog:dataset_detail", args=[dataset.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert C1_ZH_TITLE in page and C1_ZH_TEXT in page
    assert page.count('class="muted translation-note"') == 1  # C1 only
    assert C3_EN_TITLE in page  # not translated: the English


def test_english_reader_keeps_the_english_clause(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    client.logout()
    page = client.get(
        reverse("catalog:dataset_detail", args=[dataset.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No commercial use" in page
    assert C1_ZH_TITLE not in page
    assert "translation-note" not in page


def test_chinese_applicant_sees_the_translation_on_the_application_form(
    client, terms, data_manager
):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    client.force_login(_chinese_applicant())
    page = client.get(reverse("agreements:application_start", args=[dataset.slug]))
    page = page.content.decode()
    assert C1_ZH_TITLE in page and C1_ZH_TEXT in page
    assert page.count("translation-note") == 1
    assert C3_EN_TITLE in page  # C3 has no translation: English


def test_chinese_signers_agreement_pdf_carries_the_translated_clause(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    applicant = _chinese_applicant()
    application = draft(applicant, dataset)
    client.force_login(applicant)
    response = client.get(reverse("agreements:application_pdf", args=[application.reference]))
    assert response.status_code == 200
    text = _pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert "".join(C1_ZH_TEXT.split()) in text
    assert C1_ZH_TITLE in text
    assert "以英文文本为准" in text  # the English governs
    assert "SafeKeeping".lower() in text.lower()  # C3: the English, not translated


def test_english_signers_agreement_pdf_keeps_the_english_clause(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    _translate_c1(client, dataset, version)
    applicant = factories.UserFactory(email="sam.student@uni-example.edu")
    application = draft(applicant, dataset)
    client.force_login(applicant)
    response = client.get(reverse("agreements:application_pdf", args=[application.reference]))
    text = _pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert C1_ZH_TITLE not in text
    assert "Nocommercialuse" in text


def test_another_custodians_staff_get_404(client, terms, other_custodian):
    dataset, version = terms
    theirs = factories.StaffFactory(custodian=other_custodian, admin=True).user
    client.force_login(theirs)
    assert client.get(_page(client, dataset.slug)).status_code == 404
    assert _translate_c1(client, dataset, version).status_code == 404
    assert not ClauseTranslation.objects.exists()
    with pytest.raises(NotFound):
        terms_translation_update(
            version=version, actor=theirs, words=[ClauseWords("C1", "zh-hans", "x", "y")]
        )


def test_an_applicant_cannot_translate(client, terms):
    dataset, version = terms
    client.force_login(_chinese_applicant())
    assert client.get(_page(client, dataset.slug)).status_code == 404
    assert _translate_c1(client, dataset, version).status_code == 404
    assert not ClauseTranslation.objects.exists()


def test_a_reviewer_without_the_catalogue_permission_cannot_translate(client, terms, staff):
    dataset, version = terms
    client.force_login(staff)  # a reviewer of the same custodian
    assert _translate_c1(client, dataset, version).status_code == 404
    assert not ClauseTranslation.objects.exists()


def test_an_unknown_version_is_404(client, terms, data_manager):
    dataset, _version = terms
    client.force_login(data_manager)
    assert client.get(_page(client, dataset.slug, 7)).status_code == 404
    assert client.get(_page(client, dataset.slug, "x")).status_code == 404


def test_a_too_long_title_is_refused_and_nothing_saved(client, terms, data_manager):
    dataset, version = terms
    client.force_login(data_manager)
    response = _translate_c1(client, dataset, version, title="长" * 151)
    assert response.status_code == 200
    assert not ClauseTranslation.objects.exists()
    assert not Event.objects.filter(event_type=TRANSLATION_EVENT).exists()


def test_a_redrafted_clause_keeps_its_translation_only_if_its_english_is_unchanged(
    custodian, data_manager
):
    from accord.catalog.services_staff import ClauseText, licence_version_draft

    admin = factories.StaffFactory(custodian=custodian, admin=True).user
    dataset = factories.DatasetFactory(custodian=custodian)
    clauses = [
        ClauseText("C1", "No commercial use", "Not commercially."),
        ClauseText("C2", "Keep safe", "Lock it."),
    ]
    version = licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="T",
        effective_date=dataset.created.date(),
        clauses=clauses,
    )
    terms_translation_update(
        version=version,
        actor=data_manager,
        words=[
            ClauseWords("C1", "fi", "Ei kaupallista käyttöä", "Ei kaupallisesti."),
            ClauseWords("C2", "fi", "Säilytä", "Lukitse."),
        ],
    )
    licence_version_draft(
        dataset=dataset,
        actor=admin,
        title="T",
        effective_date=dataset.created.date(),
        clauses=[clauses[0], ClauseText("C2", "Keep safe", "Lock it away.")],
        version=version,
    )
    kept = ClauseTranslation.objects.filter(clause__license_version=version)
    assert [(t.clause.code, t.title) for t in kept] == [("C1", "Ei kaupallista käyttöä")]
