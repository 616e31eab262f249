"""The pre-filled agreement: a real A4 PDF with every answer on it and the reference as text and
QR code on every page."""

from __future__ import annotations

import pypdfium2
import pytest

from accord.agreements.pdf import build_agreement_pdf, check_reference_qr, inspect_pdf
from accord.agreements.pdf import generate as generate_module

from .pdf_corpus import agreement_data


def page_texts(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def test_agreement_is_a_pdf_our_own_intake_accepts():
    data = build_agreement_pdf(agreement_data())
    inspection = inspect_pdf(data)
    assert inspection.pages == len(page_texts(data)) >= 1
    assert inspection.size == len(data)


def test_agreement_is_a4():
    document = pypdfium2.PdfDocument(build_agreement_pdf(agreement_data()))
    width, height = document[0].get_size()
    assert (round(width), round(height)) == (595, 842)


def test_agreement_carries_terms_answers_members_and_signer():
    data = agreement_data(
        answers=[("Organisation type", "University"), ("Funding body", "Research Council")],
        members=[
            ("Sam Student", "sam@uni.example", {"Competition registration ID": "REG-7"}),
            ("Kim Researcher", "kim@uni.example", {"Competition registration ID": "REG-8"}),
        ],
        variants=["SMIC", "SMIC-E"],
    )
    text = " ".join(page_texts(build_agreement_pdf(data)))
    for expected in [
        "CASMEMG Licence Agreement",
        "Version 3, effective 2026-01-01",
        "Institute of Psychology, Chinese Academy of Sciences",
        "SMIC, SMIC-E",
        "C1. No commercial use",
        "The data is never used for any commercial purpose.",
        "I attest that I have read clause C3",
        "Prof. Ada Example",
        "Professor",
        "University of Examples",
        "ada@uni.example",
        "1 Campus Road, Example City",
        "Sam Student",
        "Testing micro-expression spotting methods on EMG signals.",
        "Funding body",
        "Research Council",
        "Competition registration ID",
        "REG-8",
        "kim@uni.example",
        "Signature",
        "Printed name",
    ]:
        assert expected in text, expected


def test_every_page_has_the_reference_and_a_page_n_of_n_footer():
    data = agreement_data(clauses=[(f"S{i}", f"Clause {i}", "Words. " * 120) for i in range(8)])
    pages = page_texts(build_agreement_pdf(data))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "Reference ACC-2026-00042" in text
        assert f"ACC-2026-00042 · page {number}/{len(pages)}" in text


def test_qr_code_on_the_agreement_reads_as_the_reference():
    data = build_agreement_pdf(agreement_data(reference="ACC-2026-00042"))
    result = check_reference_qr(data, "ACC-2026-00042")
    assert result.status == "match"
    assert result.found == ["ACC-2026-00042"]


def test_without_applicant_there_is_no_prepared_by_section():
    data = agreement_data(applicant_name=None, applicant_email=None)
    assert "Prepared by" not in " ".join(page_texts(build_agreement_pdf(data)))


def test_names_in_any_script_are_printed():
    data = agreement_data(signer_name="Prof. Zoë Łukasiewicz-王小明", purpose="Δοκιμή — проверка")
    text = " ".join(page_texts(build_agreement_pdf(data)))
    assert "Zoë Łukasiewicz" in text
    assert "Δοκιμή — проверка" in text
    if any(path.exists() for path in generate_module.FALLBACK_FONTS):
        assert "王小明" in text


def test_long_unbroken_values_and_many_members_still_make_a_valid_pdf():
    data = agreement_data(
        signer_email="a" * 300 + "@example.org",
        purpose="x" * 5000,
        members=[(f"Member {i}", f"m{i}@uni.example", {"ID": str(i)}) for i in range(60)],
    )
    pdf = build_agreement_pdf(data)
    assert inspect_pdf(pdf).pages >= 3
    assert "Member 59" in " ".join(page_texts(pdf))


@pytest.mark.parametrize("missing", ["fonts"])
def test_without_dejavu_the_agreement_falls_back_to_core_fonts(monkeypatch, tmp_path, missing):
    monkeypatch.setattr(generate_module, "FONT_DIR", tmp_path / "no-fonts-here")
    data = agreement_data(signer_name="Prof. Zoë Łukasiewicz 王", purpose="Δοκιμή")
    pdf = build_agreement_pdf(data)
    text = " ".join(page_texts(pdf))
    assert "Zoë Lukasiewicz ?" in text  # Latin-1 kept, accents stripped, the rest marked
    assert check_reference_qr(pdf, "ACC-2026-00042").status == "match"
