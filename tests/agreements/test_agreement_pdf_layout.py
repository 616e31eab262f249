"""The pre-filled agreement PDF as a professor reads it: no text printed over other text."""

from __future__ import annotations

import pypdfium2

from accord.agreements.pdf import build_agreement_pdf
from tests.agreements.pdf_corpus import agreement_data

LONG_LABEL = "Describe every place where the data will be stored and who can reach it wrapped"


def _box(page, needle: str) -> tuple[float, float, float, float]:
    textpage = page.get_textpage()
    searcher = textpage.search(needle)
    found = searcher.get_next()
    assert found, f"{needle!r} not on the page"
    index, count = found
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def test_wrapped_answer_label_does_not_overlap_the_next_row():
    data = build_agreement_pdf(
        agreement_data(answers=[(LONG_LABEL, "short"), ("Funding body", "Research Council")])
    )
    document = pypdfium2.PdfDocument(data)
    try:
        for page in document:
            text = page.get_textpage().get_text_range()
            if "Funding body" in text:
                last_label_line = _box(page, "wrapped")
                next_label = _box(page, "Funding body")
                # PDF y grows upwards: the next row must start below the label's last line.
                assert next_label[3] <= last_label_line[1] + 0.5
                break
        else:
            raise AssertionError("the Further answers rows are missing")
    finally:
        document.close()


def test_a_value_running_onto_the_next_page_does_not_leave_that_page_empty():
    """A signer address that straddles a page break used to push everything after it to a
    third page, leaving page 2 with two lines."""
    address = "\n".join(f"Address line {n}" for n in range(1, 9))
    split_seen = False
    for padding in range(0, 30):
        # A longer affiliation above the address moves it down until it straddles the break.
        affiliation = "Department of Long Names, " * (padding * 2) + "University of Example"
        data = agreement_data(signer_address=address, signer_affiliation=affiliation)
        document = pypdfium2.PdfDocument(build_agreement_pdf(data))
        try:
            texts = [page.get_textpage().get_text_range() for page in document]
        finally:
            document.close()
        for index, text in enumerate(texts):
            if "Address line 8" in text and "Address line 1" not in text:
                # The address was split: the rest of the agreement must follow on this page.
                split_seen = True
                assert "Prepared by" in text or "Research purpose" in text, index
    assert split_seen, "no layout put the page break inside the address; adjust the padding"
