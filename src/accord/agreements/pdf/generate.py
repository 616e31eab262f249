"""The pre-filled agreement the applicant prints, signs by hand and scans back.

Every page carries the application reference as text and as a QR code in the top-right corner,
so the upload can be matched to its application even after a mediocre 150-dpi scan. Both also
carry the content version (the start of the application's content fingerprint): a scan of an
agreement generated before the application was edited can be told from the current one.

Where the signer signs, dates and ticks is recorded as it is drawn (``Region``), relative to the
QR code: the code found on a scan gives that page's position, scale and rotation, so the intake
can look at the same places on the scan and tell whether anything was written there."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import segno
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

logger = logging.getLogger(__name__)
# fpdf2 subsets fonts with fontTools, which narrates every table it touches at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
# Glyphs DejaVu lacks (Chinese names for CASMEMG applicants) come from these when installed.
# A Chinese agreement needs the first (Debian: fonts-droid-fallback).
CJK_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
FALLBACK_FONTS = [
    CJK_FONT,
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
]

PAGE_WIDTH = 210.0  # A4
MARGIN = 18.0
# mm including the quiet zone. "LA-2026-1234567/AB12CD34EF" needs a version-3 symbol at level H
# (37 modules with the quiet zone): ~0.84 mm modules, 5 pixels each at 150 dpi.
QR_SIZE = 31.0
QR_TOP = 8.0
QR_BORDER = 4  # modules of quiet zone around the symbol
BODY_TOP = 44.0


@dataclass(frozen=True)
class AgreementPdfData:
    reference: str
    dataset_name: str
    custodian_name: str
    license_title: str
    license_version: int
    effective_date: date
    clauses: list[tuple[str, str, str]]
    variants: list[str]
    signer_name: str
    signer_title: str
    signer_affiliation: str
    signer_email: str
    signer_address: str
    applicant_name: str | None
    applicant_email: str | None
    purpose: str
    answers: list[tuple[str, str]] = field(default_factory=list)
    members: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The start of the content fingerprint, printed and in the QR code. Empty: the code holds
    # only the reference (as agreements generated before versions were printed did).
    content_version: str = ""
    # The signer's language (accounts.languages): the agreement's own words are in it, the
    # terms in their translation where the custodian gave one.
    language: str = "en"


class MissingFont(RuntimeError):
    """The server lacks a font the agreement's language needs: an installation problem."""


@dataclass(frozen=True)
class Region:
    """A place the signer writes in: ``kind`` is ``signature``, ``date`` or ``clause`` (its tick
    box; ``code`` names the clause). ``page`` counts from 0. ``x``, ``y``, ``width`` and
    ``height`` are millimetres from the top-left corner of the QR symbol on that page (its
    outermost dark modules, not the quiet zone), whose side is ``qr_side`` mm."""

    kind: str
    code: str
    page: int
    x: float
    y: float
    width: float
    height: float
    qr_side: float


@dataclass(frozen=True)
class GeneratedAgreement:
    pdf: bytes
    regions: list[Region]


def qr_symbol_origin(qr_side: float) -> tuple[float, float]:
    """Where, in millimetres from the page's top-left corner, the QR symbol whose side is
    ``qr_side`` starts on an agreement page (what ``Region`` coordinates are relative to)."""
    quiet = (QR_SIZE - qr_side) / 2
    return (PAGE_WIDTH - MARGIN - QR_SIZE + quiet, QR_TOP + quiet)


VERSION_SEPARATOR = "/"


def agreement_code(reference: str, content_version: str = "") -> str:
    """The QR payload: ``LA-2026-1234567/AB12CD34EF``. Upper case keeps the whole payload in
    the QR alphanumeric mode (a smaller symbol, larger modules, a more forgiving scan)."""
    if not content_version:
        return reference
    return f"{reference}{VERSION_SEPARATOR}{content_version.upper()}"


def split_agreement_code(text: str) -> tuple[str, str]:
    """``(reference, version)`` of a code read from a scan; version is lower case, "" when the
    code holds only the reference."""
    reference, _, version = text.strip().partition(VERSION_SEPARATOR)
    return reference.strip(), version.strip().lower()


# Letters and punctuation that have no Latin-1 form and do not decompose into one.
_LATIN1_SUBSTITUTES = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŋ": "N", "ŋ": "n",
        "Œ": "OE", "œ": "oe", "—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
        "…": "...", "€": "EUR", "•": "*",
    }
)  # fmt: skip


def _latin1(text: str) -> str:
    """For the core-font fallback: keep Latin-1, strip accents from the rest, '?' otherwise."""
    out = []
    for char in unicodedata.normalize("NFC", text).translate(_LATIN1_SUBSTITUTES):
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def _needs_fallback(data: AgreementPdfData) -> bool:
    """DejaVu covers Latin, Greek, Cyrillic and most symbols, but nothing from U+3000 on (CJK)."""
    texts = [value for value in vars(data).values() if isinstance(value, str)]
    texts += [part for clause in data.clauses for part in clause] + list(data.variants)
    texts += [part for answer in data.answers for part in answer]
    for name, email, extra in data.members:
        texts += [name, email, *extra.keys(), *extra.values()]
    if data.language.startswith("zh"):
        return True
    return any(ord(char) >= 0x3000 for text in texts for char in text)


class _AgreementDocument(FPDF):
    def __init__(self, data: AgreementPdfData) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self.unicode = self._load_fonts()
        self.set_margins(MARGIN, BODY_TOP, MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages()
        self.qr_rows = [
            list(row)
            for row in segno.make(
                agreement_code(data.reference, data.content_version), error="h", micro=False
            ).matrix_iter(border=QR_BORDER)
        ]
        module = QR_SIZE / len(self.qr_rows)
        self.qr_origin = (
            self.w - MARGIN - QR_SIZE + QR_BORDER * module,
            QR_TOP + QR_BORDER * module,
        )
        self.qr_side = (len(self.qr_rows) - 2 * QR_BORDER) * module
        self.regions: list[Region] = []

    def _load_fonts(self) -> bool:
        try:
            for style, name in FONT_FILES.items():
                self.add_font("Body", style, FONT_DIR / name)
        except (OSError, RuntimeError, ValueError):
            logger.warning("DejaVu fonts missing in %s: falling back to Helvetica", FONT_DIR)
            return False
        if not _needs_fallback(self.data):
            return True  # loading a 4 MB CJK font costs most of a second: only when needed
        fallbacks = []
        for index, path in enumerate(p for p in FALLBACK_FONTS if p.exists()):
            try:
                self.add_font(f"Fallback{index}", "", path)
                fallbacks.append(f"Fallback{index}")
            except Exception:
                logger.info("could not load fallback font %s", path)
        if self.data.language.startswith("zh") and "Fallback0" not in fallbacks:
            raise MissingFont(
                f"A Chinese agreement needs the font {CJK_FONT} "
                "(Debian package fonts-droid-fallback); install it and try again."
            )
        if fallbacks:
            self.set_fallback_fonts(fallbacks, exact_match=False)
        return True

    def font(self, style: str = "", size: float = 10) -> None:
        self.set_font("Body" if self.unicode else "Helvetica", style, size)

    def t(self, text: object) -> str:
        text = "" if text is None else str(text)
        return text if self.unicode else _latin1(text)

    def header(self) -> None:
        x0 = self.w - MARGIN - QR_SIZE
        y0 = QR_TOP
        module = QR_SIZE / len(self.qr_rows)
        self.set_fill_color(255, 255, 255)
        self.rect(x0, y0, QR_SIZE, QR_SIZE, style="F")
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(self.qr_rows):
            c = 0
            while c < len(row):  # one rectangle per run of dark modules keeps the file small
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    self.rect(
                        x0 + start * module,
                        y0 + r * module,
                        (c - start) * module,
                        module,
                        style="F",
                    )
                else:
                    c += 1
        self.set_xy(MARGIN, 11)
        self.font("B", 9)
        self.cell(
            x0 - MARGIN - 4,
            5,
            self.t(_("LICENCE AGREEMENT") + " · " + self.data.custodian_name),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.font("", 9)
        self.cell(
            x0 - MARGIN - 4, 5, self.t(self.data.dataset_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.font("B", 11)
        self.cell(
            x0 - MARGIN - 4,
            7,
            self.t(_("Reference %(reference)s") % {"reference": self.data.reference}),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.font("", 7.5)
        self.cell(
            x0 - MARGIN - 4,
            4,
            self.t(_("Keep this code visible when you scan the signed pages.")),
        )
        self.set_draw_color(120, 120, 120)
        self.line(MARGIN, y0 + QR_SIZE + 3, self.w - MARGIN, y0 + QR_SIZE + 3)
        self.set_draw_color(0, 0, 0)
        self.set_y(BODY_TOP)

    def footer(self) -> None:
        self.set_y(-15)
        self.font("", 8)
        version = (
            " · " + _("version %(version)s") % {"version": self.data.content_version}
            if self.data.content_version
            else ""
        )
        page = _("page %(page)s/%(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 6, self.t(f"{self.data.reference}{version} · {page}"), align="C")

    # --- building blocks ----------------------------------------------------------------------

    def ensure_space(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def heading(self, text: str) -> None:
        self.ensure_space(22)
        self.ln(3)
        self.font("B", 12)
        self.multi_cell(0, 7, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def paragraph(self, text: str, size: float = 10, style: str = "") -> None:
        self.font(style, size)
        self.multi_cell(0, 5, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def field_row(self, label: str, value: str) -> None:
        self.ensure_space(6)
        y = self.get_y()
        self.font("B", 9.5)
        # Ends BELOW the label (YPos.NEXT): a label wrapping onto more lines than its value must
        # push the next row down, not be overprinted by it.
        self.multi_cell(48, 5, self.t(label), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        label_bottom, label_page = self.get_y(), self.page
        self.set_xy(MARGIN + 50, y)
        self.font("", 9.5)
        self.multi_cell(
            0,
            5,
            self.t(value or ("—" if self.unicode else "-")),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        # A long value may run onto the next page; the label's bottom (on the previous page)
        # must not then push the cursor down the new page, leaving it nearly empty.
        if self.page == label_page:
            self.set_y(max(self.get_y(), label_bottom))

    def record_region(self, kind: str, code: str, x: float, y: float, w: float, h: float) -> None:
        ox, oy = self.qr_origin
        self.regions.append(
            Region(kind, code, self.page - 1, x - ox, y - oy, w, h, qr_side=self.qr_side)
        )

    def checkbox_line(self, text: str, code: str = "") -> None:
        self.ensure_space(8)
        y = self.get_y() + 0.5
        self.rect(MARGIN, y, 4, 4)
        if code:
            self.record_region("clause", code, MARGIN, y, 4, 4)
        self.set_xy(MARGIN + 6, y - 0.5)
        self.font("I", 9.5)
        self.multi_cell(0, 5, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def signature_line(self, label: str, width: float, value: str = "", kind: str = "") -> None:
        x, y = self.get_x(), self.get_y()
        self.font("", 9)
        self.cell(width, 5, self.t(label))
        self.line(x, y + 14, x + width - 6, y + 14)
        if kind:
            # From under the label to 3 mm below the line: hands write across it.
            self.record_region(kind, "", x, y + 5, width - 6, 12)
        if value:
            self.set_xy(x, y + 8)
            size = 10.0
            self.font("B", size)
            while size > 6 and self.get_string_width(self.t(value)) > width - 6:
                size -= 0.5
                self.font("B", size)
            self.cell(width - 6, 5, self.t(value))
        self.set_xy(x + width, y)


def _build(doc: _AgreementDocument) -> None:
    data = doc.data
    doc.add_page()
    doc.font("B", 16)
    doc.multi_cell(0, 8, doc.t(data.license_title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.paragraph(
        _("Version %(version)s, effective %(date)s")
        % {"version": data.license_version, "date": data.effective_date.isoformat()},
        10,
    )
    if not data.language.startswith("en"):
        doc.paragraph(
            _(
                "This is a translation of the custodian's official agreement, which is in "
                "English. The English text governs: where the two differ, the English text "
                "prevails."
            ),
            9.5,
            "B",
        )
    doc.ln(2)
    doc.field_row(_("Data custodian"), data.custodian_name)
    doc.field_row(_("Dataset"), data.dataset_name)
    doc.field_row(_("Variants"), ", ".join(data.variants) or _("all"))

    doc.heading(_("Terms"))
    doc.paragraph(
        _(
            "Tick every box and initial the page margins. The summary below is the version of "
            "the terms this application was made against."
        ),
        9,
        "I",
    )
    doc.ln(1)
    for code, title, text in data.clauses:
        # Keep a clause, its text and its checkbox on one page when the clause fits on a page.
        doc.font("", 9.5)
        body = doc.multi_cell(0, 5, doc.t(text), dry_run=True, output=MethodReturnValue.HEIGHT)
        doc.ensure_space(min(body + 18, 120))
        doc.paragraph(f"{code}. {title}", 10.5, "B")
        doc.paragraph(text, 9.5)
        doc.checkbox_line(
            _(
                "I attest that I have read clause %(code)s and that I and every member of my "
                "group will comply with it."
            )
            % {"code": code},
            code,
        )

    doc.heading(_("Signer (responsible for every member of the group)"))
    doc.field_row(_("Name"), data.signer_name)
    doc.field_row(_("Title / position"), data.signer_title)
    doc.field_row(_("Affiliation"), data.signer_affiliation)
    doc.field_row(_("Work email"), data.signer_email)
    doc.field_row(_("Address"), data.signer_address)
    if data.applicant_name or data.applicant_email:
        doc.heading(_("Prepared by"))
        doc.field_row(_("Applicant"), data.applicant_name or "")
        doc.field_row(_("Applicant email"), data.applicant_email or "")
        doc.paragraph(_("The signer is copied on every message about this application."), 9, "I")

    doc.heading(_("Research purpose"))
    doc.paragraph(data.purpose or "")
    if data.answers:
        doc.heading(_("Further answers"))
        for label, value in data.answers:
            doc.field_row(label, value)

    doc.heading(_("Group members covered by this agreement"))
    if data.members:
        _members_table(doc, data.members)
    else:
        doc.paragraph(_("No group members are listed; only the signer will have access."), 9.5, "I")

    _signature_block(doc)


def _members_table(doc: _AgreementDocument, members: list[tuple[str, str, dict[str, str]]]) -> None:
    extra_keys: list[str] = []
    for _name, _email, extra in members:
        extra_keys.extend(key for key in extra if key not in extra_keys)
    headings = ["#", _("Name"), _("Email"), *extra_keys]
    width = doc.w - 2 * MARGIN
    rest = (width - 8) / (len(headings) - 1)
    doc.font("", 8.5)
    with doc.table(
        col_widths=(8, *([rest] * (len(headings) - 1))),
        width=width,
        text_align="LEFT",
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        row = table.row()
        for heading in headings:
            row.cell(doc.t(heading))
        for number, (name, email, extra) in enumerate(members, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(doc.t(name))
            row.cell(doc.t(email))
            for key in extra_keys:
                row.cell(doc.t(extra.get(key, "")))


def _signature_block(doc: _AgreementDocument) -> None:
    data = doc.data
    doc.ensure_space(62)
    doc.heading(_("Signature"))
    doc.paragraph(
        _(
            "By signing, the signer accepts these terms for themself and for every member "
            "listed above, confirms the answers given in this agreement, and holds a fixed "
            "position that allows them to do so."
        ),
        9.5,
    )
    doc.ln(4)
    width = (doc.w - 2 * MARGIN) / 3
    doc.signature_line(_("Signature"), width, kind="signature")
    doc.signature_line(_("Date"), width, kind="date")
    doc.signature_line(_("Printed name"), width, data.signer_name)
    doc.ln(20)
    generated = data.generated_at
    if generated.tzinfo is not None:
        generated = generated.astimezone(UTC)
    generated_line = (
        _("Generated by Accord on %(when)s UTC for application %(reference)s, version %(version)s.")
        if data.content_version
        else _("Generated by Accord on %(when)s UTC for application %(reference)s.")
    ) % {
        "when": f"{generated:%Y-%m-%d %H:%M}",
        "reference": data.reference,
        "version": data.content_version,
    }
    doc.paragraph(
        generated_line
        + " "
        + _(
            "This agreement is valid only for the application as it was when generated: if the "
            "application changes, download the agreement again. Upload the signed, scanned "
            "pages as one PDF on the application page."
        ),
        8,
        "I",
    )


def build_agreement_pdf(data: AgreementPdfData) -> bytes:
    """The printable A4 agreement for ``data``, as PDF bytes."""
    return build_agreement(data).pdf


def build_agreement(data: AgreementPdfData) -> GeneratedAgreement:
    """The printable agreement and where on it the signer signs, dates and ticks, in the
    signer's language."""
    with translation.override(data.language):
        return _build_agreement(data)


def _build_agreement(data: AgreementPdfData) -> GeneratedAgreement:
    doc = _AgreementDocument(data)
    doc.set_title(_("Licence agreement %(reference)s") % {"reference": data.reference})
    doc.set_creator("Accord")
    created = (
        data.generated_at if data.generated_at.tzinfo else data.generated_at.replace(tzinfo=UTC)
    )
    doc.set_creation_date(created)
    _build(doc)
    return GeneratedAgreement(pdf=bytes(doc.output()), regions=doc.regions)
