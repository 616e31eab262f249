"""One spelling in what people read: "licence" for the noun (as the models are named);
"license" only as a verb ("licensed", "licensee")."""

from __future__ import annotations

import re
from pathlib import Path

import accord

TEMPLATES = Path(accord.__file__).parent / "templates"
# Template code ({{ license.title }}, {% if license %}) is not text; the strings that
# {% translate %} holds and what {% blocktranslate %} encloses are.
_CODE = re.compile(r"\{\{.*?\}\}|\{#.*?#\}|\{%.*?%\}", re.S)
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def _text_of(code: re.Match) -> str:
    tag = code.group(0)
    if re.match(r"\{%\s*(translate|trans)\b", tag):
        return " ".join(_QUOTED.findall(tag))
    return " "


_NOUN = re.compile(r"\blicen[cs]es?\b", re.I)


def _american_nouns(text: str) -> list[str]:
    text = _CODE.sub(_text_of, text)
    return [m.group(0) for m in _NOUN.finditer(text) if "licens" in m.group(0).lower()]


def test_templates_and_emails_spell_the_noun_licence():
    offending = {
        str(path.relative_to(TEMPLATES)): found
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt"}
        if (found := _american_nouns(path.read_text(encoding="utf-8")))
    }
    assert offending == {}


def test_the_scan_catches_the_other_spelling():
    assert _american_nouns("<p>{% translate 'Your License' %}</p>") == ["License"]
    assert _american_nouns("{{ license.title }} licensed to the licensee") == []
