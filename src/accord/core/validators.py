"""Text that ends up in email bodies, PDFs and headers: one rule for the forms, the API
schemas and any other way in.

A name is one line: a line break would let it forge a line of its own in an email body or
an agreement PDF ("Signer: Ada\\nApproved by: ..."). Bidi embeddings, overrides and isolates
(U+202A–U+202E, U+2066–U+2069) reorder the text around them, so a name could display as
something other than what it is; no name needs them (the Unicode bidi algorithm already
orders a right-to-left name correctly), so they are refused. The weak marks (U+200E/U+200F,
U+061C) cannot reorder anything beyond themselves, are invisible, and are pasted in from
word processors: they are removed rather than refused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy
from pydantic import AfterValidator

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_MULTI_LINE_ALLOWED = frozenset("\n\r\t")


def _refused(ch: str, *, multi_line: bool) -> str | None:
    """Why ``ch`` may not appear, or None."""
    if ch in BIDI_CONTROLS:
        return gettext(
            "contains an invisible text-direction control character (U+%(code)04X) that can "
            "make it display as something else; retype it without copying from elsewhere"
        ) % {"code": ord(ch)}
    if multi_line and ch in _MULTI_LINE_ALLOWED:
        return None
    if ch in _LINE_BREAKS:
        return gettext("must be on one line; remove the line break")
    if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
        return gettext(
            "contains an invisible control character (U+%(code)04X); retype it without "
            "copying from elsewhere"
        ) % {"code": ord(ch)}
    return None


def clean_text(value: str, *, multi_line: bool = False) -> str:
    """``value`` without weak bidi marks; ValueError (its message says what to fix) when it
    holds a line break (single-line only), another control character or a bidi control."""
    for ch in value:
        why = _refused(ch, multi_line=multi_line)
        if why is not None:
            raise ValueError(why)
    return "".join(ch for ch in value if ch not in BIDI_MARKS)


def single_line(value: str) -> str:
    return clean_text(value, multi_line=False)


def multi_line(value: str) -> str:
    return clean_text(value, multi_line=True)


# The same rule as a JSON-schema pattern, so the OpenAPI schema states what the server refuses
# (tests/core check the two agree on every character). Only the schema carries it: the
# validator above gives the message that says what to fix.
_ALWAYS_REFUSED = r"\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069"
SINGLE_LINE_PATTERN = rf"^[^\u0000-\u001f{_ALWAYS_REFUSED}]*$"
MULTI_LINE_PATTERN = rf"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f{_ALWAYS_REFUSED}]*$"


@dataclass(frozen=True)
class _SchemaPattern:
    """Adds ``pattern`` to the JSON schema only (a pydantic ``Field`` would also reset the
    default of a ninja ``Form[...]`` parameter)."""

    pattern: str

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


# For API schemas (pydantic): a ValueError becomes a 422 naming the field.
SingleLine = Annotated[str, AfterValidator(single_line), _SchemaPattern(SINGLE_LINE_PATTERN)]
MultiLine = Annotated[str, AfterValidator(multi_line), _SchemaPattern(MULTI_LINE_PATTERN)]


class SingleLineField(forms.CharField):
    """A CharField for names, titles and affiliations (see the module docstring)."""

    multi_line = False
    _error = gettext_lazy("This %(why)s.")

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return clean_text(value, multi_line=self.multi_line)
        except ValueError as exc:
            raise ValidationError(self._error, code="text", params={"why": str(exc)}) from exc


class MultiLineField(SingleLineField):
    """A CharField for addresses and free text: line breaks allowed, other controls not."""

    multi_line = True
