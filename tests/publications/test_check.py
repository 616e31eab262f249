"""The check on real PDFs generated here (through the sandboxed extraction and the service a
user's "Check" runs), and its rules on plain text."""

from __future__ import annotations

import pytest

from accord.publications import check
from accord.publications.services import PaperDetails, publication_check
from tests.publications.conftest import (
    CASMEMG_REF,
    CASMEMG_TITLE,
    INTRO,
    OTHER_REF,
    SMIC_E_REF,
    SMIC_REF,
    SMIC_SUB_REF,
    SMIC_TITLE,
    paper_pdf,
)

pytestmark = pytest.mark.django_db


def details(variants=("smic", "smic-e"), subjects=(), **extra) -> PaperDetails:
    return PaperDetails(
        title="Spotting micro-expressions",
        authors="A. Author, B. Author",
        venue="IEEE Trans. Affective Computing",
        year=2026,
        variants=tuple(variants),
        subjects=tuple(subjects),
        **extra,
    )


def checked(dataset, user, pdf, **kw):
    return publication_check(dataset=dataset, actor=user, details=details(**kw), pdf=pdf)


@pytest.mark.parametrize("columns", [1, 2])
def test_paper_citing_everything_is_compliant_in_one_or_two_columns(smic, licensee, columns):
    pdf = paper_pdf(INTRO, [SMIC_REF, SMIC_SUB_REF, SMIC_E_REF, OTHER_REF], columns=columns)
    paper = checked(smic, licensee, pdf, variants=("smic", "smic-sub", "smic-e"))
    assert paper.check_state == "compliant", paper.verdict["reasons"]
    found = {f["key"]: f["entry"] for f in paper.verdict["checks"]["citations"]["found"]}
    assert set(found) == {"li2013smic", "pfister2011recognising", "li2018towards"}
    assert "Inducement, Collection and Baseline" in found["li2013smic"]
    assert "naming" not in paper.verdict["checks"]  # SMIC's terms set no name


@pytest.mark.parametrize("columns", [1, 2])
def test_missing_smic_e_paper_is_reported_by_name(smic, licensee, columns):
    pdf = paper_pdf(INTRO, [SMIC_REF, OTHER_REF], columns=columns)
    paper = checked(smic, licensee, pdf, variants=("smic", "smic-e"))
    assert paper.check_state == "non_compliant"
    citations = paper.verdict["checks"]["citations"]
    assert [m["key"] for m in citations["missing"]] == ["li2018towards"]
    assert paper.verdict["reasons"] == [
        "The paper does not cite X. Li et al., “Towards Reading Hidden Emotions”, IEEE TAC "
        "2018, which the agreement requires."
    ]


def test_smic_sub_paper_is_not_required_of_a_paper_that_did_not_use_smic_sub(smic, licensee):
    pdf = paper_pdf(INTRO, [SMIC_REF, SMIC_E_REF])
    assert checked(smic, licensee, pdf).check_state == "compliant"


@pytest.mark.parametrize("columns", [1, 2])
def test_smic_title_hyphenated_across_lines_is_still_found(smic, licensee, columns):
    broken = SMIC_REF.replace("Micro-expression Database", "Micro-expres-\nsion Data-\nbase")
    paper = checked(smic, licensee, paper_pdf(INTRO, [broken, SMIC_E_REF], columns=columns))
    assert paper.check_state == "compliant", paper.verdict["reasons"]


def test_curly_quotes_and_en_dashes_in_titles_still_match(smic, licensee):
    # As typeset: typographic single quotes, an en dash where the title has a hyphen.
    ref = (
        "[1] X. Li et al., ‘A Spontaneous Micro–expression Database: Inducement, Collection "
        "and Baseline’, FG 2013."
    )
    paper = checked(smic, licensee, paper_pdf(INTRO, [ref, SMIC_E_REF]))
    assert paper.check_state == "compliant", paper.verdict["reasons"]


def test_ligature_glyphs_in_a_title_still_match(casmemg_ds, casmemg_licensee):
    # LaTeX PDFs often carry the ﬁ and ﬃ ligatures as single characters.
    ref = (
        "[1] J. Li et al., “Could Micro‐Expressions be Quantiﬁed? Electromyography Gives "
        "Aﬃrmative Evidence,” IEEE TAC, 2025."
    )
    pdf = paper_pdf("We use CASMEMG. ", [ref])
    paper = checked(casmemg_ds, casmemg_licensee, pdf, variants=("casmemg",))
    assert paper.check_state == "compliant", paper.verdict["reasons"]


def test_subject_02_of_smic_is_refused_with_the_rule_quoted(smic, licensee):
    pdf = paper_pdf(INTRO, [SMIC_REF, SMIC_E_REF])
    paper = checked(smic, licensee, pdf, subjects=("01", "02"))
    assert paper.check_state == "non_compliant"
    images = paper.verdict["checks"]["images"]
    assert images["allowed"] == ["01"]
    assert images["refused"][0]["subject"] == "02"
    assert images["refused"][0]["reason"] == (
        "Images of subject 02 may not be published. SMIC: images only of subjects 01, 03, 04, "
        "06, 20 may be published."
    )


def test_the_rules_notice_is_shown_to_the_author(smic, licensee):
    paper = checked(smic, licensee, paper_pdf(INTRO, [SMIC_REF, SMIC_E_REF]), subjects=("1",))
    assert paper.check_state == "compliant"
    assert paper.verdict["checks"]["images"]["allowed"] == ["01"]
    assert paper.verdict["checks"]["images"]["notices"] == [
        "© University of Oulu, used with permission"
    ]


def test_casmemg_named_wrongly_is_flagged_with_the_rule(casmemg_ds, casmemg_licensee):
    body = "We evaluate on CAS(ME)G and on the CASME-MG recordings of seven muscles. "
    pdf = paper_pdf(body, [CASMEMG_REF])
    paper = checked(casmemg_ds, casmemg_licensee, pdf, variants=("casmemg",))
    assert paper.check_state == "non_compliant"
    naming = paper.verdict["checks"]["naming"]
    assert naming["wrong"] == ["CAS(ME)G", "CASME-MG"]
    assert paper.verdict["reasons"][0] == (
        "The paper calls the data “CAS(ME)G”. Publications must call the data “CASMEMG”."
    )
    assert paper.verdict["checks"]["citations"]["ok"]


def test_casmemg_named_right_and_cited_is_compliant(casmemg_ds, casmemg_licensee):
    body = "We evaluate on CASMEMG, next to CASME II and CAS(ME)^2, with subject 07 shown. "
    pdf = paper_pdf(body, [CASMEMG_REF], columns=2)
    paper = checked(casmemg_ds, casmemg_licensee, pdf, variants=("casmemg",), subjects=("07",))
    assert paper.check_state == "compliant", paper.verdict["reasons"]


def test_casmemg_subject_06_is_refused(casmemg_ds, casmemg_licensee):
    pdf = paper_pdf("We use CASMEMG. ", [CASMEMG_REF])
    paper = checked(casmemg_ds, casmemg_licensee, pdf, variants=("casmemg",), subjects=("06",))
    assert [r["subject"] for r in paper.verdict["checks"]["images"]["refused"]] == ["06"]


# --- The rules on text ----------------------------------------------------------------------


def test_normalise_joins_hyphenated_words_and_unifies_ligatures_quotes_and_dashes():
    assert check.normalise("The ﬁrst “Micro-expres-\n  sion” data – ﬂow") == (
        'the first "micro-expression" data - flow'
    )


def test_a_title_broken_across_lines_without_hyphen_matches():
    text = (
        "Intro.\nReferences\n[1] X. Li, “A Spontaneous Micro-expression\nDatabase: "
        "Inducement, Collection and\nBaseline”, 2013.\n"
    )
    result = check.check_citations(
        text, [check.Citation(key="smic", name="SMIC paper", title=SMIC_TITLE)]
    )
    assert result["ok"]
    assert result["references_section"]


def test_a_title_only_outside_the_references_does_not_count():
    text = f"We build on “{SMIC_TITLE}”.\nReferences\n[1] Someone else, Another paper, 2020.\n"
    result = check.check_citations(
        text, [check.Citation(key="smic", name="SMIC paper", title=SMIC_TITLE)]
    )
    assert not result["ok"]


def test_a_citation_is_found_by_its_doi():
    text = "References\n[1] J. Li et al., IEEE TAC, doi:10.1109/TAFFC.2025.3575127\n"
    citation = check.Citation(
        key="c", name="CASMEMG paper", title=CASMEMG_TITLE, doi="10.1109/TAFFC.2025.3575127"
    )
    assert check.check_citations(text, [citation])["ok"]


def test_variant_names_are_not_wrong_names():
    assert check.check_naming("We use SMIC-E and SMIC-sub of SMIC.", "SMIC")["ok"]


def test_deny_list_refuses_the_listed_subject_and_withdrawn_consent():
    rule = check.ImageRule(scope="CASME", mode="deny", subjects=("03",))
    result = check.check_images(
        ["01", "03", "04", "99"], [rule], {"01": "active", "03": "active", "04": "withdrawn"}
    )
    assert result["allowed"] == ["01"]
    assert [r["subject"] for r in result["refused"]] == ["03", "04", "99"]
    assert "every subject except 03" in result["refused"][0]["reason"]


def test_without_a_pdf_only_images_are_checked():
    verdict = check.check_paper(text=None, declared_subjects=[], req=check.Requirements())
    assert verdict["state"] == "unchecked"
    assert set(verdict["checks"]) == {"images"}
