"""SMIC- and CASMEMG-like datasets with their required citations and image rules, licensees,
and papers as PDFs generated here with fpdf2 (one or two columns, any reference list)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from accord.agreements.models import ApplicationRules
from accord.catalog.models import PublicationRule
from tests import factories
from tests.access.factories import licence_for

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

SMIC_TITLE = "A Spontaneous Micro-expression Database: Inducement, Collection and Baseline"
SMIC_SUB_TITLE = "Recognising Spontaneous Facial Micro-expressions"
SMIC_E_TITLE = (
    "Towards Reading Hidden Emotions: A Comparative Study of Spontaneous Micro-Expression "
    "Spotting and Recognition Methods"
)
CASMEMG_TITLE = "Could Micro-Expressions be Quantified? Electromyography Gives Affirmative Evidence"

SMIC_REF = (
    f"[1] X. Li, T. Pfister, X. Huang, G. Zhao, M. Pietikäinen, “{SMIC_TITLE},” in Proc. FG, 2013."
)
SMIC_SUB_REF = (
    f"[2] T. Pfister, X. Li, G. Zhao, M. Pietikäinen, “{SMIC_SUB_TITLE},” in Proc. ICCV, "
    "2011, pp. 1449–1456."
)
SMIC_E_REF = (
    f"[3] X. Li et al., “{SMIC_E_TITLE},” IEEE Trans. Affective Computing, vol. 9, no. 4, "
    "pp. 563–577, 2018."
)
OTHER_REF = (
    "[4] P. Ekman, “Lie catching and microexpressions,” in The Philosophy of Deception, 2009."
)
CASMEMG_REF = (
    f"[1] J. Li, S. Lu, Y. Wang, Z. Dong, S.-J. Wang, X. Fu, “{CASMEMG_TITLE},” IEEE TAC, 2025."
)

INTRO = (
    "Abstract. We study spontaneous facial micro-expressions recorded with high-speed cameras "
    "and compare spotting and recognition methods on the SMIC database. "
)


def _bib(key: str, title: str) -> str:
    return (
        f"@article{{{key},\n  author = {{Someone}},\n  title = {{{title}}},\n  year = {{2013}}\n}}"
    )


def paper_pdf(body: str, references: list[str], *, columns: int = 1) -> bytes:
    """A paper: ``body`` (repeated into a page of text), a "References" heading and the
    entries, in one or two columns, with a Unicode font (ligatures, curly quotes, dashes)."""
    pdf = FPDF()
    pdf.add_font("Body", "", FONT)
    pdf.set_font("Body", size=9)
    pdf.add_page()
    text = "\n".join([body * 6, "", "References", *references])
    if columns == 1:
        pdf.multi_cell(0, 4.5, text)
    else:
        with pdf.text_columns(ncols=2, gutter=8) as cols:
            cols.write(text)
    return bytes(pdf.output())


@pytest.fixture
def smic(custodian):
    dataset = factories.DatasetFactory(
        custodian=custodian, slug="smic", name="SMIC database", short_name="SMIC"
    )
    variants = {
        slug: factories.VariantFactory(dataset=dataset, slug=slug, name=name, position=i)
        for i, (slug, name) in enumerate(
            [("smic", "SMIC"), ("smic-sub", "SMIC-sub"), ("smic-e", "SMIC-E")]
        )
    }
    subjects = {
        code: factories.SubjectFactory(dataset=dataset, code=code)
        for code in ("01", "02", "03", "04", "05", "06", "20")
    }
    rule = PublicationRule.objects.create(
        dataset=dataset,
        mode=PublicationRule.Mode.ALLOW,
        notice="© University of Oulu, used with permission",
        conditions="Only when necessary, as few as possible.",
    )
    rule.subjects.set([subjects[c] for c in ("01", "03", "04", "06", "20")])
    base = factories.CitationFactory(
        dataset=dataset,
        key="li2013smic",
        text="X. Li et al., “A Spontaneous Micro-expression Database”, FG 2013",
        bibtex=_bib("li2013smic", SMIC_TITLE),
        position=0,
    )
    sub = factories.CitationFactory(
        dataset=dataset,
        key="pfister2011recognising",
        text="T. Pfister et al., “Recognising Spontaneous Facial Micro-expressions”, ICCV 2011",
        bibtex=_bib("pfister2011recognising", SMIC_SUB_TITLE),
        position=1,
    )
    sub.variants.set([variants["smic-sub"]])
    ext = factories.CitationFactory(
        dataset=dataset,
        key="li2018towards",
        text="X. Li et al., “Towards Reading Hidden Emotions”, IEEE TAC 2018",
        bibtex=_bib("li2018towards", SMIC_E_TITLE),
        position=2,
    )
    ext.variants.set([variants["smic-e"]])
    assert base
    ApplicationRules.objects.create(dataset=dataset, publications_required=True)
    dataset.v = variants
    return dataset


@pytest.fixture
def casmemg_ds(other_custodian):
    dataset = factories.DatasetFactory(
        custodian=other_custodian,
        slug="casmemg",
        name="CASMEMG database",
        short_name="CASMEMG",
        citation_name="CASMEMG",
    )
    variant = factories.VariantFactory(dataset=dataset, slug="casmemg", name="CASMEMG")
    subjects = {code: factories.SubjectFactory(dataset=dataset, code=code) for code in ("06", "07")}
    rule = PublicationRule.objects.create(dataset=dataset, mode=PublicationRule.Mode.ALLOW)
    rule.subjects.set([subjects["07"]])
    factories.CitationFactory(
        dataset=dataset,
        key="li2025casmemg",
        text="J. Li et al., “Could Micro-Expressions be Quantified?”, IEEE TAC 2025",
        bibtex=_bib("li2025casmemg", CASMEMG_TITLE),
        doi="10.1109/TAFFC.2025.3575127",
    )
    dataset.v = {"casmemg": variant}
    return dataset


@pytest.fixture
def licensee(smic, signing_key_file):
    """A member of a SMIC licence in force for all three variants."""
    user = factories.UserFactory(full_name="Lee Licensee")
    licence_for(variants=list(smic.v.values()), members=[user])
    return user


@pytest.fixture
def casmemg_licensee(casmemg_ds, signing_key_file):
    user = factories.UserFactory(full_name="Cas Licensee")
    licence_for(variants=[casmemg_ds.v["casmemg"]], members=[user])
    return user


@pytest.fixture
def signing_key_file(tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"
    return settings.SIGNING_KEY_FILE
