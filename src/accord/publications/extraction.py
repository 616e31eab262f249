"""Taking in a paper's PDF: the same hostile-file intake as signed agreements (the malware
scanner, then the structure checks and the text extraction in the sandboxed, resource-limited
worker of ``accord.agreements.pdf``). A refused file leaves nothing behind; the caller stores
only what comes back from here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.agreements.pdf import PdfRefused, extract_text, inspect_pdf
from accord.agreements.pdf.errors import human_size
from accord.agreements.signed_pdf import scan_agreement_bytes
from accord.catalog import scanning
from accord.core.errors import DomainError

# A published paper may link to its DOI, code and data: web links are allowed; everything
# else a signed agreement may not carry (scripts, attachments, forms, launch actions) is
# refused here too.
ALLOWED_FINDINGS = ("uri-action",)
# Longer than a journal paper with its appendices, and what pdfminer reads within the worker's
# CPU limit for text (agreements.pdf.intake.TEXT_CPU_SECONDS).
MAX_PAGES = 80

_SAVE_AGAIN = gettext_lazy(
    "Export the paper again from your editor (LaTeX, Word) as a plain PDF, without a password, "
    "and upload that file."
)
# The agreement intake's messages speak of signing and scanning; a paper gets its own for
# the refusals an honest author may meet. Other codes keep the intake's message.
MESSAGES = {
    "empty": gettext_lazy("The uploaded file is empty."),
    "not-pdf": gettext_lazy(
        "The uploaded file is not a PDF (its content is not PDF data, whatever its name says)."
    ),
    "encrypted": gettext_lazy(
        "The PDF is encrypted or password-protected, so its text cannot be read and checked."
    ),
    "damaged": gettext_lazy("The PDF is damaged and cannot be read (it may be incomplete)."),
    "javascript": gettext_lazy("The PDF contains JavaScript, which we never accept."),
    "embedded-file": gettext_lazy("The PDF has files attached or embedded in it."),
    "form": gettext_lazy("The PDF is an interactive form."),
    "too-complex": gettext_lazy("The PDF is too complex for us to check safely."),
    "too-many-pages": gettext_lazy(
        "The PDF has {pages} pages; a paper may have at most {limit}. Upload the paper "
        "without supplementary material."
    ),
    "too-large": gettext_lazy("The file is larger than the {limit} allowed."),
    "timeout": gettext_lazy("Reading the PDF took too long."),
}


class PaperRefused(DomainError):
    status = 422
    code = "paper-refused"


@dataclass(frozen=True)
class PaperFile:
    data: bytes
    sha256: str
    size: int
    pages: int
    text: str
    scan: scanning.Verdict


def read_upload(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded paper, refusing an oversized one before reading it."""
    if (upload.size or 0) > settings.AGREEMENT_MAX_BYTES:
        raise PaperRefused(
            _("The file is larger than the %(size)s allowed.")
            % {"size": human_size(settings.AGREEMENT_MAX_BYTES)},
            code="pdf-too-large",
            field="pdf",
        )
    return upload.read()


def read_paper(data: bytes, *, label: str, on_malware) -> PaperFile:
    """Scan, check and read ``data`` or raise PaperRefused saying why (nothing is stored
    either way; ``on_malware`` records an infected upload)."""
    scan = scan_agreement_bytes(
        data,
        label=label,
        on_malware=on_malware,
        resend=_("export the paper to a new PDF and upload that file."),
    )
    max_pages = MAX_PAGES
    try:
        inspection = inspect_pdf(
            data,
            max_bytes=settings.AGREEMENT_MAX_BYTES,
            max_pages=max_pages,
            allow=ALLOWED_FINDINGS,
        )
        text = extract_text(data, max_pages=max_pages)
    except PdfRefused as exc:
        message = MESSAGES.get(exc.code)
        detail = f"{str(message).format(**exc.params)} {_SAVE_AGAIN}" if message else exc.message
        raise PaperRefused(detail, code=f"pdf-{exc.code}", field="pdf") from exc
    return PaperFile(
        data=data,
        sha256=inspection.sha256,
        size=inspection.size,
        pages=inspection.pages,
        text=text,
        scan=scan,
    )
