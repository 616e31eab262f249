"""How to cite a dataset: the required citations for a chosen set of variants, with the
dataset's naming rule, as BibTeX, RIS, CSL-JSON and formatted text, and as CFF references.

Each RequiredCitation stores its reference as one CSL-JSON item (``RequiredCitation.csl``):
CSL-JSON is the structured form every other format can be derived from without loss (BibTeX
and RIS are flat key/value forms; CFF references map field by field), and it is what the CSL
processor (citeproc-py) formats text from. BibTeX, RIS, text and CFF are generated here from
it, so they never disagree. The publications app imports ``citation_set`` for its checks.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from accord.catalog.models import Dataset, RequiredCitation, Variant

FORMATS = ("bibtex", "ris", "csl-json", "text")
MEDIA_TYPES = {
    "bibtex": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
EXTENSIONS = {"bibtex": "bib", "ris": "ris", "csl-json": "json", "text": "txt"}
# The one CSL style citeproc-py bundles; another style would be a .csl file shipped with us.
CSL_STYLE = "harvard-cite-them-right"


@dataclass(frozen=True)
class CitationSet:
    """What a user of ``variants`` of ``dataset`` must cite, and how they must name it."""

    dataset: Dataset
    variants: list[Variant]
    citations: list[RequiredCitation]

    @property
    def items(self) -> list[dict[str, Any]]:
        return [csl_item(c) for c in self.citations]

    @property
    def naming_rule(self) -> str:
        return naming_rule(self.dataset)

    def render(self, fmt: str) -> str:
        return render(self.items, fmt)


def citation_set(dataset: Dataset, variants: Iterable[Variant] | None = None) -> CitationSet:
    """The citations required of a user of ``variants`` (none chosen: every variant). A
    citation with no variants of its own is required for every variant (the model says so);
    one with variants is required when any of them is chosen."""
    from accord.catalog import selectors

    chosen = list(variants or [])
    if not chosen:
        chosen = list(dataset.variants.order_by("position", "name"))
    return CitationSet(
        dataset=dataset,
        variants=chosen,
        citations=selectors.citations_for_variants(dataset, chosen),
    )


def naming_rule(dataset: Dataset) -> str:
    """The sentence authors are shown about naming the data ("" when the terms set none)."""
    if dataset.citation_name_rule:
        return dataset.citation_name_rule
    if dataset.citation_name:
        return _("Publications must call the data “%(name)s”.") % {"name": dataset.citation_name}
    return ""


def csl_item(citation: RequiredCitation) -> dict[str, Any]:
    """The citation as a CSL-JSON item whose ``id`` is its key (derived from the stored
    BibTeX when no CSL-JSON was stored)."""
    item = dict(citation.csl) if citation.csl else csl_from_bibtex(citation.bibtex)
    item["id"] = citation.key
    if citation.doi and not item.get("DOI"):
        item["DOI"] = citation.doi
    return item


def render(items: Sequence[dict[str, Any]], fmt: str) -> str:
    if fmt == "bibtex":
        return as_bibtex(items)
    if fmt == "ris":
        return as_ris(items)
    if fmt == "csl-json":
        return as_csl_json(items)
    if fmt == "text":
        return as_text(items)
    raise ValueError(f"unknown citation format {fmt!r}")


# --- CSL-JSON ----------------------------------------------------------------------------


def as_csl_json(items: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(items), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _year(item: dict[str, Any]) -> str:
    try:
        return str(item["issued"]["date-parts"][0][0])
    except (KeyError, IndexError, TypeError):
        return ""


def _pages(item: dict[str, Any]) -> tuple[str, str]:
    first, _sep, last = str(item.get("page", "")).replace("–", "-").partition("-")
    return first.strip(), last.strip("- ")


def _name(person: dict[str, Any]) -> str:
    if "literal" in person:
        return str(person["literal"])
    return ", ".join(p for p in (person.get("family", ""), person.get("given", "")) if p)


# --- formatted text (CSL processor) -------------------------------------------------------


def as_text(items: Sequence[dict[str, Any]]) -> str:
    """The references formatted by citeproc-py in the bundled CSL style, one per line, in the
    order given."""
    if not items:
        return ""
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON

    lines: list[str] = []
    style = _style(CitationStylesStyle)
    # One bibliography per item: the style sorts by author, and the order that means
    # something here is the custodian's (the base paper first).
    for item in items:
        source = CiteProcJSON([_for_citeproc(item)])
        bibliography = CitationStylesBibliography(style, source, formatter.plain)
        bibliography.register(Citation([CitationItem(item["id"].lower())]))
        lines.extend(str(entry) for entry in bibliography.bibliography())
    return "\n".join(lines) + "\n"


@functools.cache
def _style(loader):
    # Parsing the style's XML is the slow part; the parsed style is only read afterwards.
    return loader(CSL_STYLE, validate=False)


def _for_citeproc(item: dict[str, Any]) -> dict[str, Any]:
    # citeproc-py lower-cases ids and reads only the fields it knows.
    return {k: v for k, v in item.items() if k != "note"}


# --- BibTeX ------------------------------------------------------------------------------

_BIBTEX_TYPES = {
    "article-journal": "article",
    "article": "article",
    "paper-conference": "inproceedings",
    "book": "book",
    "chapter": "incollection",
    "thesis": "phdthesis",
    "report": "techreport",
    "dataset": "misc",
}
_BIBTEX_CONTAINER = {
    "article": "journal",
    "inproceedings": "booktitle",
    "incollection": "booktitle",
}


def _bib_value(value: str) -> str:
    # Balanced braces only; a stray one would end the field early.
    return value.replace("{", "").replace("}", "")


def as_bibtex(items: Sequence[dict[str, Any]]) -> str:
    return "\n\n".join(_bibtex_entry(item) for item in items) + ("\n" if items else "")


def _bibtex_entry(item: dict[str, Any]) -> str:
    entry_type = _BIBTEX_TYPES.get(item.get("type", ""), "misc")
    fields: list[tuple[str, str]] = []
    authors = " and ".join(_name(a) for a in item.get("author", []))
    if authors:
        fields.append(("author", authors))
    fields.append(("title", str(item.get("title", ""))))
    container = item.get("container-title")
    if container:
        fields.append((_BIBTEX_CONTAINER.get(entry_type, "howpublished"), str(container)))
    for csl_key, bib_key in (("volume", "volume"), ("issue", "number"), ("publisher", "publisher")):
        if item.get(csl_key):
            fields.append((bib_key, str(item[csl_key])))
    first, last = _pages(item)
    if first:
        fields.append(("pages", f"{first}--{last}" if last else first))
    if _year(item):
        fields.append(("year", _year(item)))
    if item.get("DOI"):
        fields.append(("doi", str(item["DOI"])))
    if item.get("URL"):
        fields.append(("url", str(item["URL"])))
    width = max(len(k) for k, _v in fields)
    body = ",\n".join(f"  {k.ljust(width)} = {{{_bib_value(v)}}}" for k, v in fields)
    return f"@{entry_type}{{{item['id']},\n{body}\n}}"


_LATEX_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "c": "\u0327",
    "v": "\u030c",
}


def _delatex(value: str) -> str:
    """BibTeX's accent commands ({\\"a}, \\'e) as Unicode; other braces dropped."""
    import unicodedata

    def accent(match: re.Match[str]) -> str:
        return unicodedata.normalize("NFC", match.group(2) + _LATEX_ACCENTS[match.group(1)])

    value = re.sub(r"\{?\\([\"'`^~cv])\s*\{?([A-Za-z])\}?\}?", accent, value)
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()


def _bibtex_fields(bibtex: str) -> tuple[str, dict[str, str]]:
    head = re.match(r"\s*@(\w+)\s*\{\s*([^,\s]*)\s*,", bibtex)
    if not head:
        return "misc", {}
    fields: dict[str, str] = {}
    pos = head.end()
    field_re = re.compile(r"\s*(\w+)\s*=\s*")
    while True:
        match = field_re.match(bibtex, pos)
        if not match:
            break
        name, pos = match.group(1).lower(), match.end()
        if pos < len(bibtex) and bibtex[pos] in '{"':
            closing = "}" if bibtex[pos] == "{" else '"'
            depth, start = 0, pos
            while pos < len(bibtex):
                char = bibtex[pos]
                if char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
                if (closing == "}" and depth == 0) or (
                    closing == '"' and char == '"' and pos > start and depth == 0
                ):
                    break
                pos += 1
            fields[name] = bibtex[start + 1 : pos]
            pos += 1
        else:
            bare = re.match(r"[^,}\s]+", bibtex[pos:])
            fields[name] = bare.group(0) if bare else ""
            pos += len(fields[name])
        comma = re.match(r"\s*,", bibtex[pos:])
        if not comma:
            break
        pos += comma.end()
    return head.group(1).lower(), fields


def csl_from_bibtex(bibtex: str) -> dict[str, Any]:
    """A CSL-JSON item from one BibTeX entry (the fields our required citations use)."""
    entry_type, fields = _bibtex_fields(bibtex)
    csl_type = {
        "article": "article-journal",
        "inproceedings": "paper-conference",
        "conference": "paper-conference",
        "book": "book",
        "incollection": "chapter",
        "phdthesis": "thesis",
        "techreport": "report",
    }.get(entry_type, "document")
    item: dict[str, Any] = {"type": csl_type}
    authors = []
    for raw in re.split(r"\s+and\s+", fields.get("author", "")):
        name = _delatex(raw)
        if not name:
            continue
        if "," in name:
            family, given = (p.strip() for p in name.split(",", 1))
        else:
            given, _sp, family = name.rpartition(" ")
        authors.append({"family": family, "given": given} if given else {"family": family})
    if authors:
        item["author"] = authors
    if fields.get("title"):
        item["title"] = _delatex(fields["title"])
    container = fields.get("journal") or fields.get("booktitle")
    if container:
        item["container-title"] = _delatex(container)
    for bib_key, csl_key in (("volume", "volume"), ("number", "issue"), ("publisher", "publisher")):
        if fields.get(bib_key):
            item[csl_key] = _delatex(fields[bib_key])
    if fields.get("pages"):
        item["page"] = re.sub(r"-+", "-", _delatex(fields["pages"]))
    if fields.get("year", "").strip().isdigit():
        item["issued"] = {"date-parts": [[int(fields["year"])]]}
    if fields.get("doi"):
        item["DOI"] = _delatex(fields["doi"])
    if fields.get("url"):
        item["URL"] = _delatex(fields["url"])
    return item


# --- RIS ---------------------------------------------------------------------------------

_RIS_TYPES = {
    "article-journal": "JOUR",
    "article": "JOUR",
    "paper-conference": "CPAPER",
    "book": "BOOK",
    "chapter": "CHAP",
    "thesis": "THES",
    "report": "RPRT",
    "dataset": "DATA",
}


def as_ris(items: Sequence[dict[str, Any]]) -> str:
    records = []
    for item in items:
        ris_type = _RIS_TYPES.get(item.get("type", ""), "GEN")
        lines = [("TY", ris_type), ("ID", item["id"])]
        lines += [("AU", _name(a)) for a in item.get("author", [])]
        lines.append(("TI", str(item.get("title", ""))))
        if item.get("container-title"):
            lines.append(("JO" if ris_type == "JOUR" else "T2", str(item["container-title"])))
        if _year(item):
            lines.append(("PY", _year(item)))
        if item.get("volume"):
            lines.append(("VL", str(item["volume"])))
        if item.get("issue"):
            lines.append(("IS", str(item["issue"])))
        first, last = _pages(item)
        if first:
            lines.append(("SP", first))
        if last:
            lines.append(("EP", last))
        if item.get("publisher"):
            lines.append(("PB", str(item["publisher"])))
        if item.get("DOI"):
            lines.append(("DO", str(item["DOI"])))
        if item.get("URL"):
            lines.append(("UR", str(item["URL"])))
        lines.append(("ER", ""))
        records.append("\n".join(f"{tag}  - {value}".rstrip() for tag, value in lines))
    return "\n\n".join(records) + ("\n" if records else "")


# --- Citation File Format ------------------------------------------------------------------

_CFF_TYPES = {
    "article-journal": "article",
    "article": "article",
    "paper-conference": "conference-paper",
    "book": "book",
    "chapter": "book",
    "thesis": "thesis",
    "report": "report",
    "dataset": "data",
}


def cff_reference(item: dict[str, Any]) -> dict[str, Any]:
    """One CSL-JSON item as a CFF 1.2.0 ``reference`` object."""
    reference: dict[str, Any] = {
        "type": _CFF_TYPES.get(item.get("type", ""), "generic"),
        "title": str(item.get("title", "")),
        "authors": [
            {"family-names": a["family"], "given-names": a["given"]}
            if a.get("given")
            else {"name": _name(a)}
            for a in item.get("author", [])
        ]
        or [{"name": "Unknown"}],
    }
    container = item.get("container-title")
    if container:
        key = "journal" if reference["type"] == "article" else "collection-title"
        reference[key] = str(container)
    if _year(item):
        reference["year"] = int(_year(item))
    if item.get("volume"):
        reference["volume"] = _int_or_str(item["volume"])
    if item.get("issue"):
        reference["issue"] = str(item["issue"])
    first, last = _pages(item)
    if first:
        reference["start"] = _int_or_str(first)
    if last:
        reference["end"] = _int_or_str(last)
    if item.get("DOI"):
        reference["doi"] = str(item["DOI"])
    if item.get("URL"):
        reference["url"] = str(item["URL"])
    return reference


def _int_or_str(value: Any) -> int | str:
    text = str(value)
    return int(text) if text.isdigit() else text
