"""Checks, renders and reads the QR code of an uploaded signed agreement. The cheap checks on
the raw bytes happen here; everything that parses the PDF runs in the sandboxed worker."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.conf import settings

from ._layout import header_offset
from .errors import PdfRefused, human_size
from .generate import split_agreement_code
from .sandbox import run_worker

# PDF readers look for the header in the first 1,024 bytes, so a file with other data before it
# still opens as a PDF; we accept only a byte-order mark or whitespace there (``_layout``).
HEADER_WINDOW = 1024
OTHER_FORMATS = (
    b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF", b"II*\x00", b"MM\x00*",
    b"<!", b"<html", b"<HTML", b"<?xml", b"<svg", b"{\\rtf", b"\xd0\xcf\x11\xe0", b"Rar!", b"7z",
    b"\x1f\x8b",
)  # fmt: skip
# Above these a file is refused as "too-complex": no honest scan of a paper agreement gets near.
LIMITS = {
    "max_objects": 100_000,
    "max_stream_bytes": 256 * 1024 * 1024,
    "max_total_bytes": 1024 * 1024 * 1024,
    "max_image_pixels": 150_000_000,  # an A4 page scanned at 1,200 dpi is 140 MP
}
MAX_RENDER_PIXELS = 40_000_000  # per page image we hand to reviewers or to the QR reader
QR_DPI = 200
QR_BUDGET_SECONDS = 8  # well inside the worker's CPU and wall-clock limits


@dataclass(frozen=True)
class PdfInspection:
    sha256: str
    size: int
    pages: int
    pdf_version: str


@dataclass(frozen=True)
class QrResult:
    """``match``: a QR code equals the reference. ``mismatch``: a code shaped like an
    application reference (same letters and separators, other digits) was read, and none equals
    ours: the scan is another application's agreement, and the caller refuses it.
    ``unreadable``: a QR symbol was located (zxing-cpp found its finder patterns) but could not
    be decoded. ``absent``: no reference-shaped code was found at all. Both of the last two are
    flagged for the reviewer, not refused: a poor scan is not a wrong document. ``found`` lists
    every code read, including unrelated ones (a letterhead's URL).

    A code may carry the agreement's content version after the reference
    (``LA-2026-1234567/AB12CD34EF``); it counts for the reference all the same. ``versions``
    lists the versions read on codes of the expected reference ("" for a code holding only the
    reference, as agreements generated before versions were printed have). ``version_status``
    is set by ``check_agreement_qr`` only: ``match`` (the expected version was read),
    ``mismatch`` (only other versions were read: the scan is of an earlier agreement),
    ``unverified`` (only reference-only codes were read), "" (no code of this reference)."""

    status: str
    found: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    version_status: str = ""


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected the file's bytes, got {type(data).__name__}")
    return bytes(data)


def _precheck(data: bytes, max_bytes: int) -> None:
    if not data:
        raise PdfRefused("empty")
    if len(data) > max_bytes:
        raise PdfRefused("too-large", limit=human_size(max_bytes), size=human_size(len(data)))
    header = data.find(b"%PDF-", 0, HEADER_WINDOW)
    if header < 0:
        raise PdfRefused("not-pdf")
    if header_offset(data) < 0:
        if data.lstrip()[:16].startswith(OTHER_FORMATS):
            # A zip, image or web page that happens to carry a PDF inside (a polyglot) is the
            # other format first: viewers and browsers would treat it as such.
            raise PdfRefused("not-pdf")
        # Anything else before the header (a <script>, <body onload=...>) is a polyglot too.
        raise PdfRefused("prefix")


def inspect_pdf(
    data: bytes,
    *,
    max_bytes: int | None = None,
    max_pages: int | None = None,
    timeout: float | None = None,
    allow: tuple[str, ...] = (),
) -> PdfInspection:
    """Accept ``data`` as a plain, printable PDF or raise PdfRefused saying why not.
    ``allow`` names findings tolerated for this kind of document (a published paper's web
    links: ``("uri-action",)``); everything else is refused as for an agreement.

    Never trusts a file name or content type: only the bytes are looked at."""
    data = _as_bytes(data)
    max_bytes = settings.AGREEMENT_MAX_BYTES if max_bytes is None else max_bytes
    max_pages = settings.AGREEMENT_MAX_PAGES if max_pages is None else max_pages
    _precheck(data, max_bytes)
    extra = {} if timeout is None else {"wall_seconds": timeout}
    params = {"max_pages": max_pages, "limits": LIMITS, "allow": list(allow)}
    answer = run_worker("inspect", data, params, **extra)
    return PdfInspection(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pages=answer["pages"],
        pdf_version=answer["pdf_version"],
    )


# pdfminer's layout analysis costs about a third of a CPU second per dense two-column page:
# these let an 80-page paper through and still end a file built to exhaust it.
TEXT_CPU_SECONDS = 60
TEXT_WALL_SECONDS = 75.0


def extract_text(data: bytes, *, max_pages: int, max_chars: int = 2_000_000) -> str:
    """The text of a PDF ``inspect_pdf`` accepted, in reading order (two-column pages column by
    column), read by pdfminer.six in the limited worker."""
    data = _as_bytes(data)
    _precheck(data, max(len(data), 1))
    answer = run_worker(
        "text",
        data,
        {"max_pages": max_pages, "max_chars": max_chars},
        cpu_seconds=TEXT_CPU_SECONDS,
        wall_seconds=TEXT_WALL_SECONDS,
    )
    return answer["text"]


def render_pages(data: bytes, *, dpi: int = 110, max_pages: int | None = None) -> list[bytes]:
    """PNG images of the first ``max_pages`` pages, for reviewers (who never get the raw PDF).

    Call it on a file ``inspect_pdf`` accepted; it re-checks only the header."""
    data = _as_bytes(data)
    max_pages = settings.AGREEMENT_MAX_PAGES if max_pages is None else max_pages
    _precheck(data, max(len(data), 1))
    params = {"dpi": dpi, "max_pages": max_pages, "max_pixels": MAX_RENDER_PIXELS}
    answer = run_worker("render", data, params)
    import base64

    return [base64.b64decode(page) for page in answer["pages"]]


def check_reference_qr(data: bytes, expected_reference: str) -> QrResult:
    """Read the QR codes on the pages and compare them with the application's reference."""
    return _read_reference_qr(data, expected_reference)


def check_agreement_qr(data: bytes, expected_reference: str, expected_version: str) -> QrResult:
    """``check_reference_qr``, and also compare the content version the codes carry with
    ``expected_version`` (see ``QrResult.version_status``)."""
    result = _read_reference_qr(data, expected_reference)
    if result.status != "match":
        return result
    expected_version = expected_version.strip().lower()
    if expected_version in result.versions:
        version_status = "match"
    elif any(result.versions):
        version_status = "mismatch"
    else:
        version_status = "unverified"
    return QrResult(result.status, result.found, result.versions, version_status)


def _read_reference_qr(data: bytes, expected_reference: str) -> QrResult:
    data = _as_bytes(data)
    _precheck(data, max(len(data), 1))
    params = {
        "dpi": QR_DPI,
        "max_pages": settings.AGREEMENT_MAX_PAGES,
        "max_pixels": MAX_RENDER_PIXELS,
        "expected": expected_reference,
        "budget_seconds": QR_BUDGET_SECONDS,
    }
    answer = run_worker("qr", data, params)
    found = [text.strip() for text in answer["found"]]
    codes = [split_agreement_code(text) for text in found]
    versions = [version for reference, version in codes if reference == expected_reference]
    if versions:
        return QrResult("match", found, list(dict.fromkeys(versions)))
    shape = _reference_shape(expected_reference)
    if any(shape.fullmatch(reference) for reference, _ in codes):
        return QrResult("mismatch", found)
    # Only other kinds of codes (a letterhead's URL, a scanner app's stamp): not a wrong
    # agreement, so not a reason to refuse; the reviewer sees what was read.
    return QrResult("unreadable" if answer["errors"] else "absent", found)


def _reference_shape(reference: str) -> re.Pattern[str]:
    r""" "ACC-2026-00042" → ACC-\d+-\d+: what another application's reference looks like."""
    parts = re.split(r"\d+", reference)
    return re.compile(r"\d+".join(re.escape(part) for part in parts))
