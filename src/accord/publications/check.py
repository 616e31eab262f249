"""The automatic check of a registered paper: pure functions over the text extracted from its PDF
(``extraction.py`` reads it in the sandbox) and plain descriptions of what the dataset requires,
so every rule can be tested with a string.

Three checks, each with a result a person can act on: every required citation is in the
reference list (each missing one named, each found one shown with the entry it matched), the
dataset is called by the name its agreement requires, and every subject shown in a figure may
be shown under the dataset's publication rule (the rule quoted, its notice shown)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.translation import gettext as _

VERSION = 1
# Share of a required title's characters that must line up with one reference-list entry.
TITLE_MATCH = 0.9

_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u00b4`"), "'") | dict.fromkeys(
    map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"'
)
_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
_SOFT = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\ufeff"), None)
# A word broken at a line end ("Micro-expres-\nsion"); the hyphen goes, the halves join.
_LINE_HYPHEN = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w)")
_REFERENCES = re.compile(
    r"^[ \t]*(?:[0-9IVX]+\.?[ \t]*)?(references|bibliography|literature cited|works cited)"
    r"[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ENTRY_START = re.compile(r"^[ \t]*(?:\[\d{1,3}\]|\d{1,3}\.[ \t])", re.MULTILINE)


@dataclass(frozen=True)
class Citation:
    """A reference the paper must contain: ``name`` is how it is shown to people."""

    key: str
    name: str
    title: str
    doi: str = ""


@dataclass(frozen=True)
class ImageRule:
    """One publication rule that applies to the paper (dataset-wide, or of a declared variant)."""

    scope: str
    mode: str  # "allow" or "deny"
    subjects: tuple[str, ...]
    notice: str = ""
    conditions: str = ""


@dataclass
class Requirements:
    citations: list[Citation] = field(default_factory=list)
    required_name: str = ""
    naming_rule: str = ""  # the rule as the terms word it ("" : the generic sentence)
    image_rules: list[ImageRule] = field(default_factory=list)
    # Subject code -> "active" / "withdrawn", for every subject the dataset has.
    subjects: dict[str, str] = field(default_factory=dict)


# --- Normalising ------------------------------------------------------------------------------


def clean(text: str) -> str:
    """NFKC (ligatures ﬁ/ﬂ become fi/fl), one kind of quote and of dash, words broken across
    line ends joined; line breaks kept, case kept."""
    text = unicodedata.normalize("NFKC", text).translate(_SOFT).translate(_QUOTES)
    text = text.translate(_DASHES).replace("\r\n", "\n").replace("\r", "\n")
    return _LINE_HYPHEN.sub(r"\1\2", text)


def normalise(text: str) -> str:
    """``clean``, whitespace collapsed, case-folded: what a person would call the same text."""
    return re.sub(r"\s+", " ", clean(text)).strip().casefold()


def match_key(text: str) -> str:
    """The letters and digits of ``normalise(text)``, words separated by one space, hyphens
    dropped ("micro-expression" and "microexpression" are one word): what titles are compared
    on, so a line break, a hyphenation or a quote style never decides a match."""
    text = normalise(text).replace("-", "")
    return " ".join(re.findall(r"\w+", text))


# --- The reference list ------------------------------------------------------------------------


def reference_section(text: str) -> tuple[str, bool]:
    """The text after the last "References" heading (and whether there was one; without it
    the whole text is searched)."""
    text = clean(text)
    headings = list(_REFERENCES.finditer(text))
    if not headings:
        return text, False
    return text[headings[-1].end() :], True


def reference_entries(section: str) -> list[str]:
    """The entries of a reference list, each on one line: split at "[12]" or "12." where a
    line starts, or, for lists without numbers, at blank lines; failing both, windows of three
    lines, so a title broken across lines still lies inside one candidate."""
    starts = [m.start() for m in _ENTRY_START.finditer(section)]
    if len(starts) >= 1:
        bounds = [*starts, len(section)]
        chunks = [section[a:b] for a, b in itertools.pairwise(bounds)]
    else:
        chunks = re.split(r"\n[ \t]*\n", section)
        if len(chunks) < 2:
            lines = [line for line in section.splitlines() if line.strip()]
            chunks = ["\n".join(lines[i : i + 3]) for i in range(max(len(lines) - 2, 1))]
    return [re.sub(r"\s+", " ", chunk).strip() for chunk in chunks if chunk.strip()]


def title_score(title_key: str, entry_key: str) -> float:
    """Share of the title's characters that line up with ``entry_key`` (1.0: all of it)."""
    if not title_key:
        return 0.0
    if title_key in entry_key:
        return 1.0
    matcher = SequenceMatcher(None, title_key, entry_key, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(title_key)


def check_citations(text: str, citations: list[Citation]) -> dict:
    section, has_heading = reference_section(text)
    entries = reference_entries(section)
    keys = [match_key(entry) for entry in entries]
    whole_doi = normalise(text)
    found, missing = [], []
    for citation in citations:
        title_key = match_key(citation.title)
        best, best_score = "", 0.0
        for entry, key in zip(entries, keys, strict=True):
            score = title_score(title_key, key)
            if score > best_score:
                best, best_score = entry, score
        doi = citation.doi.casefold()
        if best_score >= TITLE_MATCH:
            found.append(
                {"key": citation.key, "name": citation.name, "entry": best, "score": best_score}
            )
        elif doi and doi in whole_doi:
            found.append({"key": citation.key, "name": citation.name, "entry": doi, "score": 1.0})
        else:
            missing.append({"key": citation.key, "name": citation.name})
    reasons = [
        _("The paper does not cite %(reference)s, which the agreement requires.")
        % {"reference": item["name"]}
        for item in missing
    ]
    return {
        "ok": not missing,
        "references_section": has_heading,
        "found": found,
        "missing": missing,
        "reasons": reasons,
    }


# --- The dataset's name ------------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9()\[\]^_.\-]*[A-Za-z0-9)\]])?")


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def naming_rule(name: str) -> str:
    return _("Publications must call the data “%(name)s”.") % {"name": name}


def check_naming(text: str, required_name: str, rule: str = "") -> dict:
    """Is the data called ``required_name``, and never by a variant of it? A variant is the
    same letters with other punctuation or case ("CASME-MG", "Casmemg") or, for names of six
    or more letters, one letter off ("CAS(ME)G"). Names of variants ("SMIC-E") are fine."""
    text = clean(text)
    wanted = _alnum(required_name)
    named, wrong = 0, []
    for match in _NAME_TOKEN.finditer(text):
        token = match.group().rstrip(".")
        if token == required_name or token.startswith(required_name + "-"):
            named += 1
            continue
        alnum = _alnum(token)
        near = alnum == wanted or (len(wanted) >= 6 and _one_edit_apart(alnum, wanted))
        if near and token not in wrong:
            wrong.append(token)
    rule = rule or naming_rule(required_name)
    reasons = []
    for token in wrong:
        reasons.append(
            _("The paper calls the data “%(wrong)s”. %(rule)s") % {"wrong": token, "rule": rule}
        )
    if not named:
        reasons.append(
            _("The paper never calls the data “%(name)s”. %(rule)s")
            % {"name": required_name, "rule": rule}
        )
    return {
        "ok": not reasons,
        "required": required_name,
        "rule": rule,
        "named": named,
        "wrong": wrong,
        "reasons": reasons,
    }


# --- Whose images may be shown -----------------------------------------------------------------


def quote_rule(rule: ImageRule) -> str:
    listed = ", ".join(rule.subjects) or _("none")
    if rule.mode == "allow":
        return _("%(scope)s: images only of subjects %(subjects)s may be published.") % {
            "scope": rule.scope,
            "subjects": listed,
        }
    return _("%(scope)s: images of every subject except %(subjects)s may be published.") % {
        "scope": rule.scope,
        "subjects": listed,
    }


def subject_code(value: str, known: dict[str, str]) -> str | None:
    """The dataset's code for what the author typed ("2", "02", "s02"), or None."""
    value = value.strip()
    if value in known:
        return value
    digits = re.sub(r"\D", "", value)
    if digits:
        for code in known:
            code_digits = re.sub(r"\D", "", code)
            if code_digits and int(code_digits) == int(digits):
                return code
    return None


def check_images(declared: list[str], rules: list[ImageRule], subjects: dict[str, str]) -> dict:
    quoted = [quote_rule(rule) for rule in rules]
    allowed, refused = [], []
    for value in declared:
        code = subject_code(value, subjects)
        if code is None:
            refused.append(
                {
                    "subject": value,
                    "reason": _("The dataset has no subject %(subject)s.") % {"subject": value},
                }
            )
            continue
        if subjects[code] == "withdrawn":
            refused.append(
                {
                    "subject": code,
                    "reason": _(
                        "Subject %(subject)s has withdrawn consent: their images may not be "
                        "published."
                    )
                    % {"subject": code},
                }
            )
            continue
        breaking = [
            rule
            for rule in rules
            if (code in rule.subjects) != (rule.mode == "allow")  # allow: listed; deny: not
        ]
        if breaking:
            refused.append(
                {
                    "subject": code,
                    "reason": _("Images of subject %(subject)s may not be published. %(rule)s")
                    % {"subject": code, "rule": " ".join(quote_rule(r) for r in breaking)},
                }
            )
        else:
            allowed.append(code)
    notices = [rule.notice for rule in rules if rule.notice]
    conditions = [rule.conditions for rule in rules if rule.conditions]
    return {
        "ok": not refused,
        "allowed": allowed,
        "refused": refused,
        "rules": quoted,
        "notices": notices,
        "conditions": conditions,
        "reasons": [item["reason"] for item in refused],
    }


# --- The verdict --------------------------------------------------------------------------------


def check_paper(*, text: str | None, declared_subjects: list[str], req: Requirements) -> dict:
    """The verdict stored on the publication. ``text`` None: no PDF was given, so citations
    and naming are "not checked" (the image check needs only the declared subjects)."""
    checks: dict[str, dict] = {}
    if text is not None:
        checks["citations"] = check_citations(text, req.citations)
        if req.required_name:
            checks["naming"] = check_naming(text, req.required_name, req.naming_rule)
    checks["images"] = check_images(declared_subjects, req.image_rules, req.subjects)
    reasons = [reason for check in checks.values() for reason in check["reasons"]]
    if text is not None and not text.strip():
        reasons.insert(
            0,
            _(
                "No text could be read from the PDF (is it a scan without a text layer?), so "
                "its citations could not be checked."
            ),
        )
    if reasons:
        state = "non_compliant"
    elif text is None:
        state = "unchecked"
    else:
        state = "compliant"
    return {"version": VERSION, "state": state, "checks": checks, "reasons": reasons}
