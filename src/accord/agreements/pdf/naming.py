"""The file name a signed agreement is stored under, from the custodian's rule (CASMEMG wants
``License Agreement for CASMEMG _<signer's name>.pdf``). Names come from applicants, so the
result must be harmless on any file system and in any Content-Disposition header."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 150
MAX_UTF8_BYTES = 240  # most file systems stop at 255 bytes per name
DEFAULT_RULE = "{reference} signed agreement.pdf"
PLACEHOLDER = re.compile(r"\{(signer_name|dataset|reference)\}")
# Characters Windows refuses in names, besides the path separators.
RESERVED = set('<>:"|?*')
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(10)
}


def _clean(text: str) -> str:
    """Drop what could move, hide or spoof the name: separators, control and format characters
    (including bidi overrides that make "gpj.pdf" read as "fdp.jpg"), and runs of dots."""
    text = unicodedata.normalize("NFC", text)
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in "/\\" or char in RESERVED:
            out.append(" ")
        elif category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            continue
        elif category == "Zs":
            out.append(" ")
        else:
            out.append(char)
    text = "".join(out)
    text = re.sub(r"\.{2,}", ".", text)
    return text


def _value(text: str) -> str:
    """A substituted value: cleaned, whitespace collapsed, no leading or trailing dots."""
    return " ".join(_clean(text).split()).strip(" .")


def _fit(name: str) -> str:
    """Cap the stem so that stem + ".pdf" fits in MAX_CHARS characters and MAX_UTF8_BYTES."""
    stem = name
    while stem and (len(stem) + 4 > MAX_CHARS or len((stem + ".pdf").encode()) > MAX_UTF8_BYTES):
        stem = stem[:-1]
    return stem


def stored_filename(rule: str, *, signer_name: str, dataset_short_name: str, reference: str) -> str:
    """Apply ``rule``; the rule's own text (spaces, underscores) is kept as written."""
    rule = rule.strip() or DEFAULT_RULE
    values = {
        "signer_name": _value(signer_name),
        "dataset": _value(dataset_short_name),
        "reference": _value(reference),
    }
    # Only our three placeholders are replaced; str.format would let a rule reach attributes.
    name = PLACEHOLDER.sub(lambda match: values[match.group(1)], rule)
    if name.lower().endswith(".pdf"):
        name = name[:-4]
    stem = _clean(name).strip(" .")
    for _ in range(5):  # cleaning and normalising can each undo the other's work once
        stem = unicodedata.normalize("NFC", _fit(stem)).strip(" .")
        stem = _clean(stem).strip(" .")
        if unicodedata.is_normalized("NFC", stem) and stem == _fit(stem):
            break
    if not stem or stem.split(".")[0].upper() in WINDOWS_DEVICES:
        stem = f"{_value(reference) or 'agreement'} {stem}".strip()
        stem = _fit(stem)
    return f"{stem}.pdf"
