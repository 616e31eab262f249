"""The hostile-upload corpus: every file gets its own refusal code and a message that tells the
applicant what to do, and nothing but PdfRefused ever comes out of the intake."""

from __future__ import annotations

import time

import pytest

from accord.agreements.pdf import PdfInspection, PdfRefused, inspect_pdf, render_pages
from accord.agreements.pdf.errors import MESSAGES
from accord.agreements.pdf.intake import LIMITS
from accord.agreements.pdf.sandbox import run_worker

from . import pdf_corpus
from .pdf_corpus import HOSTILE, plain_pdf


def refusal(data: bytes, **kwargs) -> PdfRefused:
    with pytest.raises(PdfRefused) as caught:
        inspect_pdf(data, **kwargs)
    return caught.value


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_upload_is_refused_with_its_own_code(case):
    make, code = HOSTILE[case]
    refused = refusal(make())
    assert refused.code == code, f"{case}: {refused.code} ({refused.message})"
    assert refused.message == str(refused)


def test_every_refusal_message_is_distinct_and_says_what_to_do():
    assert len(set(MESSAGES.values())) == len(MESSAGES)
    verbs = ("upload", "scan", "save", "print")
    for code, message in MESSAGES.items():
        assert any(verb in message.lower() for verb in verbs), code


def test_plain_pdf_is_accepted_with_its_facts():
    data = plain_pdf(pages=3)
    inspection = inspect_pdf(data)
    assert isinstance(inspection, PdfInspection)
    assert inspection.pages == 3
    assert inspection.size == len(data)
    assert len(inspection.sha256) == 64
    assert inspection.pdf_version.startswith("1.")


def test_only_a_byte_order_mark_and_whitespace_may_come_before_the_header():
    assert inspect_pdf(b"\xef\xbb\xbf\r\n" + plain_pdf()).pages == 1
    assert refusal(b"Scanner v2\n" + plain_pdf()).code == "prefix"


def test_a_file_cut_off_before_its_end_marker_is_damaged():
    data = plain_pdf()
    assert refusal(data[: data.rindex(b"%%EOF")]).code == "damaged"


def test_appended_data_is_refused_saying_how_much():
    refused = refusal(plain_pdf() + b"PK\x03\x04" + b"x" * 96)
    assert refused.code == "trailing-data"
    assert "100 bytes of other data" in refused.message


def test_a_miscounted_cross_reference_table_is_repaired_not_refused():
    import re

    data = plain_pdf()
    count = int(re.search(rb"xref\n0 (\d+)", data).group(1))
    assert inspect_pdf(data.replace(b"xref\n0 %d" % count, b"xref\n0 %d" % (count + 3))).pages


def _saved(data: bytes, **options) -> bytes:
    import io

    import pikepdf

    out = io.BytesIO()
    pikepdf.open(io.BytesIO(data)).save(out, **options)
    return out.getvalue()


def _pdfium_saved(data: bytes, *, incremental: bool) -> bytes:
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    out = io.BytesIO()
    document.save(out, flags=pypdfium2.raw.FPDF_INCREMENTAL if incremental else 0)
    document.close()
    return out.getvalue()


def _agreement() -> bytes:
    from accord.agreements.pdf import build_agreement_pdf

    return build_agreement_pdf(pdf_corpus.agreement_data())


WRITERS = {
    "fpdf2": lambda: plain_pdf(pages=2),
    "the generated agreement": _agreement,
    "a scan (Pillow, image-only)": lambda: pdf_corpus.scanned(_agreement()),
    "qpdf with object and cross-reference streams": lambda: _saved(
        _agreement(), object_stream_mode=__import__("pikepdf").ObjectStreamMode.generate
    ),
    "qpdf linearized (fast web view)": lambda: _saved(_agreement(), linearize=True),
    "qpdf QDF": lambda: _saved(_agreement(), qdf=True),
    "pdfium": lambda: _pdfium_saved(_agreement(), incremental=False),
    "pdfium, incremental save": lambda: _pdfium_saved(_agreement(), incremental=True),
    "an incremental update": pdf_corpus.updated,
    "NUL and line-break padding after %%EOF": lambda: plain_pdf() + b"\0" * 512 + b"\r\n",
    "digitally signed (PAdES, an incremental update)": lambda: pdf_corpus.TestPki().sign(
        _agreement()
    ),
    "digitally signed, then updated again": lambda: pdf_corpus.incremental_update(
        pdf_corpus.TestPki().sign(_agreement()), {900: b"<< /Title (Signed) >>"}
    ),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_what_pdf_writers_emit_is_a_pdf_from_first_to_last_byte(writer):
    """The strict layout check (pdf/_layout.py) must not cost honest files anything."""
    assert inspect_pdf(WRITERS[writer]()).pages >= 1


def test_zip_carrying_a_pdf_uncompressed_is_not_a_pdf():
    """A polyglot: PDF readers would find the PDF inside, but it is a zip first."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("agreement.pdf", plain_pdf())
    assert refusal(out.getvalue()).code == "not-pdf"


def test_over_size_file_is_refused_before_parsing():
    refused = refusal(plain_pdf(), max_bytes=500)
    assert refused.code == "too-large"
    assert "500 bytes" in refused.message


def test_page_limit_is_the_setting(settings):
    settings.AGREEMENT_MAX_PAGES = 2
    refused = refusal(plain_pdf(pages=3))
    assert refused.code == "too-many-pages"
    assert "3 pages" in refused.message and "at most 2" in refused.message
    assert inspect_pdf(plain_pdf(pages=3), max_pages=3).pages == 3


def test_size_limit_is_the_setting(settings):
    settings.AGREEMENT_MAX_BYTES = 1024
    assert refusal(plain_pdf(pages=5)).code == "too-large"


def test_a_slow_parse_ends_in_a_timeout_refusal():
    assert refusal(pdf_corpus.bomb_single(), timeout=0.05).code == "timeout"


def test_worker_out_of_memory_is_too_complex_not_a_crash():
    """A page image bigger than the worker's address space: the worker fails, we don't."""
    params = {"dpi": 600, "max_pages": 1, "max_pixels": 40_000_000}
    with pytest.raises(PdfRefused) as caught:
        run_worker("render", plain_pdf(), params, memory_bytes=160 * 1024 * 1024)
    assert caught.value.code == "too-complex"


def test_worker_that_cannot_even_load_its_libraries_is_too_complex():
    params = {"dpi": 72, "max_pages": 1, "max_pixels": 10**6}
    with pytest.raises(PdfRefused) as caught:
        run_worker("render", plain_pdf(), params, memory_bytes=24 * 1024 * 1024)
    assert caught.value.code == "too-complex"


def test_worker_killed_by_its_cpu_limit_is_a_timeout():
    """With the decoded-size caps lifted, inflating 16 GiB would take minutes: RLIMIT_CPU
    (SIGXCPU) stops the worker after one second of CPU."""
    unlimited = {**LIMITS, "max_stream_bytes": 1 << 40, "max_total_bytes": 1 << 40}
    params = {"max_pages": 30, "limits": unlimited}
    started = time.monotonic()
    with pytest.raises(PdfRefused) as caught:
        run_worker("inspect", pdf_corpus.bomb_nested(), params, cpu_seconds=1)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("case", ["JavaScript OpenAction", "2 GiB Flate bomb", "truncated in half"])
def test_rendering_hostile_files_never_raises_anything_but_refusal(case):
    make, _ = HOSTILE[case]
    try:
        pages = render_pages(make(), dpi=40, max_pages=2)
    except PdfRefused:
        return
    assert all(page.startswith(b"\x89PNG") for page in pages)


def test_files_are_judged_by_bytes_not_by_name():
    # inspect_pdf has no name or content-type parameter at all: a PNG is refused by its bytes.
    assert refusal(pdf_corpus.png_renamed()).code == "not-pdf"
