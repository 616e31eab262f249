"""Why an uploaded agreement was refused: one machine-readable code and one message per cause,
each telling the applicant what to do instead."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_SCAN_ADVICE = (
    "Print the agreement, sign it by hand, scan it to a plain PDF (most scanners and phone "
    "scanning apps do this) and upload that file."
)

MESSAGES: dict[str, str] = {
    "empty": "The uploaded file is empty. " + _SCAN_ADVICE,
    "not-pdf": (
        "The uploaded file is not a PDF (its content is not PDF data, whatever its name or type "
        "says). " + _SCAN_ADVICE
    ),
    "too-large": (
        "The file is larger than the {limit} allowed. Scan at 150 to 300 dpi in black and white "
        "or greyscale, or let your scanner compress the pages, and upload it again."
    ),
    "too-many-pages": (
        "The file has {pages} pages; an agreement may have at most {limit}. Upload only the "
        "signed agreement, without attachments or extra documents."
    ),
    "no-pages": "The PDF contains no pages. " + _SCAN_ADVICE,
    "encrypted": (
        "The PDF is encrypted or password-protected, so it cannot be checked. Save or scan it "
        "again without a password or permissions restrictions and upload that copy."
    ),
    "javascript": (
        "The PDF contains JavaScript, which we never accept. Upload a plain scan of the signed "
        "paper agreement instead of an electronically edited file."
    ),
    "launch-action": (
        "The PDF tries to launch a program or open a file when viewed, which we never accept. "
        + _SCAN_ADVICE
    ),
    "uri-action": (
        "The PDF contains web links or actions that open addresses. Upload a plain scan of the "
        "signed paper agreement, without links."
    ),
    "action": (
        "The PDF contains interactive actions (such as submitting data or opening other "
        "documents), which we never accept. " + _SCAN_ADVICE
    ),
    "active-content": (
        "The PDF contains multimedia or 3D content, which we never accept. " + _SCAN_ADVICE
    ),
    "embedded-file": (
        "The PDF has files attached or embedded in it. Upload only the signed agreement as a "
        "plain scan, with nothing attached."
    ),
    "form": (
        "The PDF is an interactive form. Print it, sign it by hand and scan it, or use your PDF "
        "viewer's 'print to PDF' / 'flatten' function, then upload the result."
    ),
    "prefix": _(
        "The file does not start as a PDF: other data (such as a web page or a script) comes "
        "before the PDF begins, and we accept only files that are a PDF from the first byte to "
        "the last. Open it in your PDF viewer and save or print it to a new PDF, or scan the "
        "signed agreement again, and upload that file."
    ),
    "trailing-data": _(
        "The file goes on after the end of the PDF ({size} bytes of other data are appended "
        "to it, a common way to smuggle in another file), and we accept only files that are a "
        "PDF from the first byte to the last. Open it in your PDF viewer and save or print it "
        "to a new PDF, or scan the signed agreement again, and upload that file."
    ),
    "hidden-data": _(
        "The file contains data that is not part of the PDF, hidden between its parts where no "
        "PDF viewer shows it, and we accept only files that are a PDF from the first byte to "
        "the last. Open it in your PDF viewer and save or print it to a new PDF, or scan the "
        "signed agreement again, and upload that file."
    ),
    "damaged": (
        "The PDF is damaged and cannot be read (it may be incomplete or cut off). Scan or save "
        "it again and upload the new file."
    ),
    "too-complex": (
        "The PDF is too complex or too large once unpacked for us to check safely. Scan the "
        "signed agreement again as a plain PDF (150 to 300 dpi) and upload that."
    ),
    "timeout": (
        "Checking the PDF took too long. Scan the signed agreement again as a plain PDF (150 to "
        "300 dpi) and upload that."
    ),
}


class PdfRefused(Exception):
    """An upload that Accord will not accept; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str | None = None, **params: object) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown PdfRefused code {code!r}")
        self.code = code
        self.params = params
        self.message = message or MESSAGES[code].format(**params)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"PdfRefused({self.code!r})"


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
