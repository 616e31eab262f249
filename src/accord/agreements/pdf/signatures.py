"""Is the agreement signed? Three things are read from an upload, each in the sandboxed worker:

* the ink in the places the signer signs, dates and ticks, compared with the blank agreement:
  the QR code on each scanned page gives where the page lies on the scan (position, scale,
  rotation), ``generate.Region`` gives where those places are relative to the code;
* the text of each page: a file whose text is the generated agreement's is that file itself
  (downloaded and uploaded again, or re-saved), not a scan of a signed paper copy;
* digital signatures (PAdES), validated with pyHanko: integrity, the signer's certificate
  against the trust roots of ``ACCORD_PADES_TRUST_ROOTS``, signing time, changes after signing.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from django.conf import settings

from .generate import GeneratedAgreement, qr_symbol_origin
from .sandbox import run_worker

ANALYSIS_DPI = 150
MIN_ALIGNMENT = 0.6  # of the printed marks around a place, found where the QR code puts them
REGIONS_BUDGET_SECONDS = 12
# Square millimetres of new ink that count as written: a hand signature leaves 20 to 100, a
# handwritten date 10 or more, a tick in a 4 mm box 1 to 3; specks of dust and scanner noise
# stay well below.
INK_MM2 = {"signature": 3.0, "date": 1.5, "clause": 0.5}
# The one line of the generated agreement that differs between two downloads of it.
_GENERATED_AT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
# pyHanko's modification levels that leave what was signed as it was: nothing, validation data
# added for long-term validation, or further signatures filled in (the only fields accepted).
UNCHANGED = {"NONE", "LTA_UPDATES", "FORM_FILLING"}


@dataclass(frozen=True)
class RegionFinding:
    """One place on the agreement: ``status`` is ``ink`` (something was written there),
    ``empty`` (it looks like the blank agreement) or ``not-found`` (no QR code of this
    application on a page where the place could be lined up)."""

    kind: str
    code: str
    page: int
    status: str
    ink_mm2: float | None = None
    scan_page: int | None = None


@dataclass(frozen=True)
class Examination:
    regions: list[RegionFinding]
    # Every page carries text, and it is the generated agreement's: the upload is that file
    # (perhaps re-saved), not a scan.
    generated_text: bool

    def status_of(self, kind: str) -> str:
        statuses = [r.status for r in self.regions if r.kind == kind]
        if "ink" in statuses:
            return "ink"
        return "empty" if statuses and all(s == "empty" for s in statuses) else "not-found"


def _normalised(text: str) -> str:
    return " ".join(_GENERATED_AT.sub("#", text).split())


def examine(data: bytes, template: GeneratedAgreement, reference: str) -> Examination:
    """Compare the upload with ``template``, the blank agreement as generated now for the same
    application (same content version, so the same layout)."""
    origin = qr_symbol_origin(template.regions[0].qr_side) if template.regions else (0.0, 0.0)
    params = {
        "template_size": len(template.pdf),
        "dpi": ANALYSIS_DPI,
        "max_pixels": 40_000_000,
        "max_pages": settings.AGREEMENT_MAX_PAGES,
        "budget_seconds": REGIONS_BUDGET_SECONDS,
        "expected": reference,
        "qr_origin": list(origin),
        "regions": [dataclasses.asdict(r) for r in template.regions],
        "min_alignment": MIN_ALIGNMENT,
    }
    answer = run_worker("regions", bytes(data) + template.pdf, params)
    regions = []
    for found in answer["regions"]:
        ink = found["ink_mm2"]
        written = ink is not None and ink >= INK_MM2[found["kind"]]
        status = "not-found" if ink is None else "ink" if written else "empty"
        regions.append(
            RegionFinding(
                kind=found["kind"],
                code=found["code"],
                page=found["page"],
                status=status,
                ink_mm2=ink,
                scan_page=found["scan_page"],
            )
        )
    texts = [_normalised(t) for t in answer["texts"]]
    expected = [_normalised(t) for t in answer["template_texts"]]
    return Examination(regions=regions, generated_text=all(texts) and texts == expected)


@dataclass(frozen=True)
class DigitalSignature:
    """One PAdES signature as pyHanko judged it. ``status``: ``valid`` (intact, certificate
    chains to a configured trust root), ``untrusted`` (intact and cryptographically valid, but
    no configured root vouches for the signer), ``modified`` (the file was changed after
    signing), ``broken`` (does not verify, or could not be evaluated)."""

    field: str = ""
    signer: str = ""
    issuer: str = ""
    signing_time: str = ""
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage: str = ""
    modification: str = ""
    docmdp_ok: bool | None = None
    trust_problem: str = ""
    error: str = ""

    @property
    def status(self) -> str:
        if self.error or not (self.intact and self.valid):
            return "broken"
        if self.modification not in UNCHANGED or self.docmdp_ok is False:
            return "modified"
        return "valid" if self.trusted else "untrusted"


def might_be_signed(data: bytes) -> bool:
    """Every PDF signature dictionary has a /ByteRange; a file without one has nothing for
    pyHanko to validate, and most uploads (scans) are spared starting it."""
    return b"/ByteRange" in data


def digital_signatures(data: bytes) -> list[DigitalSignature]:
    """The embedded signatures of ``data`` (none for an ordinary scan)."""
    if not might_be_signed(data):
        return []
    roots = settings.PADES_TRUST_ROOTS
    answer = run_worker("pades", bytes(data), {"trust_roots": str(roots) if roots else ""})
    fields = {f.name for f in dataclasses.fields(DigitalSignature)}
    return [
        DigitalSignature(**{k: v for k, v in found.items() if k in fields})
        for found in answer["signatures"]
    ]
