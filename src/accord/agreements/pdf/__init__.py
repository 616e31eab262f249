"""Signed-agreement PDFs: the pre-filled agreement we generate, and the scans applicants upload.

Threat model. An uploaded "signed agreement" is a file from the internet that staff will look at,
so we assume it is hostile: a PDF can carry JavaScript, actions that launch programs or open
addresses, attached files, interactive forms that change what a reviewer sees, and parser bombs
(a few kilobytes that inflate to gigabytes, object graphs built to exhaust CPU, malformed
structures that crash native parsers). Therefore:

* Only the bytes count, never the browser's content type or the file name, and every byte must
  be PDF from the first to the last (``_layout.py``): nothing but a byte-order mark before
  ``%PDF-``, nothing but padding after the last ``%%EOF``, nothing between the objects,
  cross-reference sections and incremental updates that no cross-reference section names.
  Earlier revisions kept by an incremental update get the same checks as the last. So what is
  stored (the upload, byte for byte) holds nothing the checks did not see, and no polyglot (a
  PDF that is also a web page, a script or a ZIP). Size and page count are capped (settings
  ``AGREEMENT_MAX_BYTES`` / ``AGREEMENT_MAX_PAGES``).
* All parsing (pikepdf/qpdf) and rendering (pypdfium2) happens in a fresh Python interpreter
  (``_worker.py``) that caps its own address space (512 MB), CPU time and file writes before it
  reads the upload, under a wall-clock timeout. A bomb or a native crash kills that process, not
  the web worker, and comes back as a refusal ("too-complex" or "timeout").
* Refused, each with its own code and message: encryption (cannot be checked), JavaScript,
  launch/URI/submit/import/remote-go-to actions, embedded or attached files, interactive forms
  (AcroForm fields other than signature fields, XFA), multimedia, files qpdf or pdfium cannot
  open, streams whose decoded size is absurd (Flate chains are inflated incrementally with a
  cap, so a bomb costs milliseconds).
  None of these has a place in a scanned paper agreement, so refusing them costs honest
  applicants nothing.
* What the structural checks cannot bound (inline images inside content streams, codecs only
  pdfium decodes) is bounded at render time by the same limits: ``render_pages``,
  ``check_reference_qr`` and ``check_agreement_qr`` run in the limited worker too and end in
  PdfRefused, never a crash.
* Reviewers see server-rendered page images (``render_pages``), never the PDF in their browser.
* Whether it is signed (``signatures``) is read in the same worker: the ink where the signer
  signs and ticks, and digital signatures, which pyHanko validates without network access
  (revocation is not fetched; trust comes only from ``ACCORD_PADES_TRUST_ROOTS``).

Everything a caller needs is re-exported here; ``PdfRefused`` is the only exception an upload can
provoke.
"""

from .errors import PdfRefused
from .generate import AgreementPdfData, build_agreement_pdf
from .intake import (
    PdfInspection,
    QrResult,
    check_agreement_qr,
    check_reference_qr,
    extract_text,
    inspect_pdf,
    render_pages,
)
from .naming import stored_filename

__all__ = [
    "AgreementPdfData",
    "PdfInspection",
    "PdfRefused",
    "QrResult",
    "build_agreement_pdf",
    "check_agreement_qr",
    "check_reference_qr",
    "extract_text",
    "inspect_pdf",
    "render_pages",
    "stored_filename",
]
