"""Names and free text that end up in emails and PDFs: one line, no bidi controls."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ninja import Schema
from pydantic import ValidationError as PydanticError

from accord.core.validators import (
    BIDI_CONTROLS,
    BIDI_MARKS,
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    MultiLine,
    SingleLine,
    clean_text,
    multi_line,
    single_line,
)
from accord.licences.forms import MemberForm

LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"


def _plain(ch: str) -> bool:
    return (
        unicodedata.category(ch) not in ("Cc", "Zl", "Zp", "Cs")
        and ch not in BIDI_CONTROLS
        and ch not in BIDI_MARKS
    )


plain_names = st.text(st.characters(exclude_categories=("Cc", "Zl", "Zp", "Cs")), max_size=60).map(
    lambda s: "".join(ch for ch in s if _plain(ch))
)


class NameIn(Schema):
    name: SingleLine
    address: MultiLine = ""


@settings(max_examples=300)
@given(plain_names)
def test_any_printable_name_in_any_script_is_kept_as_typed(name):
    assert single_line(name) == name
    assert NameIn(name=name).name == name
    form = MemberForm(data={"full_name": f"x{name}x", "email": "a@example.org"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["full_name"] == f"x{name}x"


@settings(max_examples=300)
@given(
    plain_names,
    st.sampled_from(LINE_BREAKS + "".join(sorted(BIDI_CONTROLS)) + "\x00\x1b"),
    plain_names,
)
def test_a_line_break_control_or_bidi_override_anywhere_is_refused(before, bad, after):
    name = before + bad + after
    with pytest.raises(ValueError):
        single_line(name)
    with pytest.raises(PydanticError):
        NameIn(name=name)
    form = MemberForm(data={"full_name": "x" + name + "x", "email": "a@example.org"})
    assert not form.is_valid()
    assert "full_name" in form.errors


@settings(max_examples=200)
@given(plain_names, st.sampled_from(sorted(BIDI_MARKS)), plain_names)
def test_weak_bidi_marks_are_removed_not_refused(before, mark, after):
    assert single_line(before + mark + after) == before + after


def test_forged_line_in_a_signer_name_gets_an_error_that_says_what_to_fix():
    form = MemberForm(
        data={"full_name": "Ada Lovelace\nApproved by: CMVS", "email": "a@example.org"}
    )
    assert not form.is_valid()
    assert form.errors["full_name"] == ["This must be on one line; remove the line break."]


def test_right_to_left_override_is_named_in_the_error():
    with pytest.raises(ValueError, match="U\\+202E"):
        single_line("Ada \u202eecalevoL")


def test_addresses_keep_their_lines_but_not_bidi_overrides():
    assert multi_line("Dept. of CS\r\nPO Box 4500\n90014 Oulu") == (
        "Dept. of CS\r\nPO Box 4500\n90014 Oulu"
    )
    with pytest.raises(ValueError):
        multi_line("Dept. of CS\n\u2066PO Box\u2069")
    with pytest.raises(ValueError):
        multi_line("bell\x07")


@pytest.mark.parametrize(
    ("pattern", "multi"), [(SINGLE_LINE_PATTERN, False), (MULTI_LINE_PATTERN, True)]
)
def test_the_api_schema_pattern_refuses_exactly_what_the_server_refuses(pattern, multi):
    """The OpenAPI schema states the rule as a pattern; it must agree with the validator on
    every character, or clients are told to send what the server then refuses."""
    compiled = re.compile(pattern)
    disagree = []
    for code in range(0x110000):
        try:
            clean_text(chr(code), multi_line=multi)
            accepted = True
        except ValueError:
            accepted = False
        if accepted != bool(compiled.fullmatch(chr(code))):
            disagree.append(f"U+{code:04X}")
    assert disagree == []
