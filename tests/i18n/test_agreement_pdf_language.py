"""The agreement PDF is in the signer's language, says the English text governs, and its
Chinese renders (text a PDF reader can extract, not empty boxes)."""

from __future__ import annotations

import pypdfium2
import pytest

from accord.agreements.documents import signer_language
from accord.agreements.pdf import build_agreement_pdf
from accord.agreements.pdf import generate as pdf_generate
from tests import factories
from tests.agreements.factories import draft, policy_dataset
from tests.agreements.pdf_corpus import agreement_data


def _text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_chinese_agreement_renders_chinese_text():
    text = _text(build_agreement_pdf(agreement_data(language="zh-hans")))
    assert "许可协议" in text
    assert "签署人" in text


def test_chinese_agreement_states_that_the_english_text_governs():
    text = "".join(_text(build_agreement_pdf(agreement_data(language="zh-hans"))).split())
    assert "以英文文本为准" in text


def test_english_agreement_says_nothing_about_a_translation():
    text = _text(build_agreement_pdf(agreement_data()))
    assert "LICENCE AGREEMENT" in text
    assert "translation" not in text


def test_finnish_agreement_is_in_finnish():
    text = _text(build_agreement_pdf(agreement_data(language="fi")))
    assert "KÄYTTÖLUPASOPIMUS" in text
    assert "englanninkielinen teksti on määräävä" in " ".join(text.split()).lower()


def test_chinese_agreement_without_the_cjk_font_fails_naming_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_generate, "FALLBACK_FONTS", [tmp_path / "missing.ttf"])
    with pytest.raises(pdf_generate.MissingFont, match="fonts-droid-fallback"):
        build_agreement_pdf(agreement_data(language="zh-hans"))


@pytest.mark.django_db
def test_agreement_follows_the_signers_preference(other_custodian):
    dataset = policy_dataset(other_custodian)
    applicant = factories.UserFactory(email="sam.student@uni-example.edu")
    factories.UserFactory(email="prof.ada@uni-example.edu", language="zh-hans")
    application = draft(applicant, dataset)
    assert application.signer_email == "prof.ada@uni-example.edu"
    assert signer_language(application) == "zh-hans"


@pytest.mark.django_db
def test_agreement_is_english_when_nobody_chose_a_language(other_custodian):
    dataset = policy_dataset(other_custodian)
    application = draft(factories.UserFactory(email="sam.student@uni-example.edu"), dataset)
    assert signer_language(application) == "en"
