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
