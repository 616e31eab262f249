"""Stored file names follow the custodian's rule and are harmless whatever the signer typed."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.agreements.pdf import stored_filename
from accord.agreements.pdf.naming import MAX_CHARS, MAX_UTF8_BYTES

CASMEMG_RULE = "License Agreement for CASMEMG _{signer_name}.pdf"


def name(signer: str, rule: str = CASMEMG_RULE, **kwargs) -> str:
    values = {"dataset_short_name": "CASMEMG", "reference": "ACC-2026-00042", **kwargs}
    return stored_filename(rule, signer_name=signer, **values)


def test_casmemg_rule_keeps_the_space_before_the_underscore():
    assert name("Wang Su-Jing") == "License Agreement for CASMEMG _Wang Su-Jing.pdf"


def test_empty_rule_uses_the_reference():
    assert name("Anyone", rule="") == "ACC-2026-00042 signed agreement.pdf"


def test_all_placeholders():
    rule = "{dataset} {reference} {signer_name}"
    assert name("Ada", rule=rule) == "CASMEMG ACC-2026-00042 Ada.pdf"


def test_path_traversal_signer_name_ends_up_harmless():
    result = name("../../etc/passwd")
    assert result == "License Agreement for CASMEMG _etc passwd.pdf"
    assert "/" not in result and ".." not in result


def test_rule_cannot_reach_python_attributes():
    assert name("Ada", rule="{signer_name.__class__} {0}") == "{signer_name.__class__} {0}.pdf"


def test_bidi_override_cannot_disguise_the_extension():
    assert name("evil\u202efdp.exe") == "License Agreement for CASMEMG _evilfdp.exe.pdf"


def test_a_name_that_vanishes_still_gives_a_name():
    assert name("", rule="{signer_name}") == "ACC-2026-00042.pdf"
    assert name("CON", rule="{signer_name}") == "ACC-2026-00042 CON.pdf"


def check_safe(result: str) -> None:
    assert result.endswith(".pdf")
    assert len(result) <= MAX_CHARS
    assert len(result.encode()) <= MAX_UTF8_BYTES
    assert "/" not in result and "\\" not in result and "\0" not in result
    assert ".." not in result
    assert not result.startswith((".", " "))
    assert unicodedata.is_normalized("NFC", result)
    assert not any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for char in result)


@settings(max_examples=300, deadline=None, database=None)
@given(signer=st.text(max_size=400), dataset=st.text(max_size=50), reference=st.text(max_size=40))
def test_any_unicode_gives_a_safe_name(signer, dataset, reference):
    result = stored_filename(
        CASMEMG_RULE, signer_name=signer, dataset_short_name=dataset, reference=reference
    )
    check_safe(result)
    assert result.startswith("License Agreement for CASMEMG _")


@settings(max_examples=200, deadline=None, database=None)
@given(rule=st.text(max_size=300), signer=st.text(max_size=100))
def test_any_rule_gives_a_safe_name(rule, signer):
    check_safe(stored_filename(rule, signer_name=signer, dataset_short_name="D", reference="ACC-1"))
