"""The custodian's register of papers as CSV (formula-safe, as the other exports) and BibTeX."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from accord.licences.exports import csv_safe

from .models import Publication

COLUMNS = (
    "id",
    "dataset",
    "title",
    "authors",
    "venue",
    "year",
    "doi",
    "variants",
    "subjects",
    "state",
    "check_state",
    "override_reason",
    "reasons",
    "registered_at",
    "public",
)


def papers_csv(papers: Iterable[Publication]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for p in papers:
        row = (
            p.pk,
            p.dataset.slug,
            p.title,
            p.authors,
            p.venue,
            p.year,
            p.doi,
            " ".join(v.slug for v in p.variants.all()),
            " ".join(p.subject_codes),
            p.state,
            p.check_state,
            p.override_reason,
            " | ".join(p.verdict.get("reasons", [])),
            p.registered_at.isoformat() if p.registered_at else "",
            "yes" if p.is_public else "no",
        )
        writer.writerow([csv_safe(value) for value in row])
    return out.getvalue()


def _bib_value(text: str) -> str:
    # Braces balanced away and backslashes dropped, so a title cannot end the field early
    # or run a TeX command in the custodian's bibliography.
    return re.sub(r"[{}\\]", "", " ".join(str(text).split()))


def _authors(authors: str) -> str:
    names = [n.strip() for n in re.split(r";|,\s*(?:and\s+)?|\s+and\s+", authors) if n.strip()]
    return " and ".join(_bib_value(n) for n in names)


def papers_bibtex(papers: Iterable[Publication]) -> str:
    entries = []
    for p in papers:
        proceedings = bool(re.search(r"conf|proc|workshop|symposium", p.venue, re.IGNORECASE))
        fields = [
            ("title", _bib_value(p.title)),
            ("author", _authors(p.authors)),
            ("booktitle" if proceedings else "journal", _bib_value(p.venue)),
            ("year", str(p.year)),
        ]
        if p.doi:
            fields.append(("doi", _bib_value(p.doi)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        kind = "inproceedings" if proceedings else "article"
        entries.append(f"@{kind}{{accord-paper-{p.pk},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")
