"""How to cite: the required citations for each choice of variants, the naming rule, and each
output format (BibTeX, RIS, CSL-JSON, text) as a reference manager would read it."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command

from accord.catalog.citations import (
    citation_set,
    csl_from_bibtex,
    render,
)
from accord.catalog.models import Dataset, RequiredCitation

SMIC_BASE, SMIC_SUB, SMIC_E = "li2013smic", "pfister2011recognising", "li2018towards"


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # accord demo refuses to run on a production portal
    call_command("demo")


def keys_for(dataset_slug: str, *variant_slugs: str) -> list[str]:
    dataset = Dataset.objects.get(slug=dataset_slug)
    variants = dataset.variants.filter(slug__in=variant_slugs)
    return [c.key for c in citation_set(dataset, variants).citations]


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (["smic"], [SMIC_BASE]),
        (["smic-sub"], [SMIC_BASE, SMIC_SUB]),
        (["smic-e"], [SMIC_BASE, SMIC_E]),
        (["smic", "smic-sub"], [SMIC_BASE, SMIC_SUB]),
        (["smic", "smic-e"], [SMIC_BASE, SMIC_E]),
        (["smic-sub", "smic-e"], [SMIC_BASE, SMIC_SUB, SMIC_E]),
        (["smic", "smic-sub", "smic-e"], [SMIC_BASE, SMIC_SUB, SMIC_E]),
    ],
)
def test_every_combination_of_smic_variants_requires_the_base_paper_and_each_variants_own(
    demo, variants, expected
):
    assert keys_for("smic", *variants) == expected


def test_no_variant_chosen_means_every_variant(demo):
    assert keys_for("smic") == [SMIC_BASE, SMIC_SUB, SMIC_E]


def test_casmemg_requires_its_paper_and_the_name_casmemg(demo):
    dataset = Dataset.objects.get(slug="casmemg")
    cited = citation_set(dataset, dataset.variants.all())
    assert [c.key for c in cited.citations] == ["li2025casmemg"]
    assert "“CASMEMG”" in cited.naming_rule


def test_smic_sets_no_naming_rule(demo):
    assert citation_set(Dataset.objects.get(slug="smic")).naming_rule == ""


def _smic_e_items(demo_loaded=True):
    dataset = Dataset.objects.get(slug="smic")
    return citation_set(dataset, dataset.variants.filter(slug="smic-e")).items


def test_bibtex_has_one_well_formed_entry_per_required_citation(demo):
    text = render(_smic_e_items(), "bibtex")
    entries = re.findall(r"@(\w+)\{([^,]+),\n(.*?)\n\}", text, flags=re.S)
    assert [(kind, key) for kind, key, _ in entries] == [
        ("inproceedings", SMIC_BASE),
        ("article", SMIC_E),
    ]
    article = dict(re.findall(r"^\s+(\w+)\s+= \{(.*)\},?$", entries[1][2], flags=re.M))
    assert article["journal"] == "IEEE Transactions on Affective Computing"
    assert article["pages"] == "563--577"
    assert article["year"] == "2018"
    assert article["author"].startswith("Li, Xiaobai and Hong, Xiaopeng")
    assert text.count("{") == text.count("}")


def test_bibtex_generated_from_csl_reads_back_as_the_same_reference(demo):
    for item in _smic_e_items():
        back = csl_from_bibtex(render([item], "bibtex"))
        assert {k: v for k, v in back.items()} == {k: v for k, v in item.items() if k != "id"}


def test_ris_records_carry_the_standard_tags(demo):
    text = render(_smic_e_items(), "ris")
    records = [r for r in text.strip().split("\n\n")]
    assert len(records) == 2
    for record in records:
        lines = record.splitlines()
        assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) or line == "ER  -" for line in lines)
        assert lines[0].startswith("TY  - ") and lines[-1] == "ER  -"
    article = records[1].splitlines()
    assert "TY  - JOUR" in article
    assert "AU  - Pietikäinen, Matti" in article
    assert "JO  - IEEE Transactions on Affective Computing" in article
    assert {"PY  - 2018", "VL  - 9", "IS  - 4", "SP  - 563", "EP  - 577"} <= set(article)


def test_csl_json_is_a_list_of_items_with_the_schema_keys(demo):
    items = json.loads(render(_smic_e_items(), "csl-json"))
    assert [i["id"] for i in items] == [SMIC_BASE, SMIC_E]
    for item in items:
        assert {"id", "type", "title", "author", "issued"} <= set(item)
        assert all({"family", "given"} <= set(a) for a in item["author"])
        assert isinstance(item["issued"]["date-parts"][0][0], int)
    assert items[1]["type"] == "article-journal"


def test_formatted_text_names_each_paper_in_the_custodians_order(demo):
    text = render(_smic_e_items(), "text")
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "A Spontaneous Micro-expression Database" in lines[0]
    assert "Towards Reading Hidden Emotions" in lines[1]
    assert lines[1].startswith("Li, X. et al. (2018)")


def test_casmemg_text_carries_the_doi(demo):
    dataset = Dataset.objects.get(slug="casmemg")
    assert "10.1109/TAFFC.2025.3575127" in citation_set(dataset).render("text")


def test_a_citation_stored_only_as_bibtex_is_still_generated(demo):
    citation = RequiredCitation.objects.get(key=SMIC_E)
    citation.csl = {}
    citation.save()
    dataset = Dataset.objects.get(slug="smic")
    items = citation_set(dataset, dataset.variants.filter(slug="smic-e")).items
    assert items[1]["title"].startswith("Towards Reading Hidden Emotions")
    assert items[1]["author"][-1] == {"family": "Pietikäinen", "given": "Matti"}


def test_dataset_page_shows_the_citations_for_the_ticked_variants_in_every_format(client, demo):
    page = client.get("/datasets/smic/?variants=smic-e").content.decode()
    section = page[page.index('id="how-to-cite"') : page.index('id="publishable"')]
    assert 'value="smic-e" checked' in section
    assert 'value="smic-sub" checked' not in section
    assert "Towards Reading Hidden Emotions" in section
    assert "Recognising spontaneous" not in section
    for pre in ("cite-text", "cite-bibtex", "cite-ris", "cite-csl-json"):
        assert f'data-copy-target="{pre}"' in section
    assert "@article{li2018towards," in section
    assert "<script" not in section  # copying is accord.js's data-copy-target


def test_casmemg_page_states_the_naming_rule(client, demo):
    page = client.get("/datasets/casmemg/").content.decode()
    assert "Publications must call the data “CASMEMG” (clause C4)." in page


def test_each_format_on_the_page_links_to_the_same_citations_in_the_api(client, demo):
    page = client.get("/datasets/smic/?variants=smic-sub").content.decode()
    link = "/api/v1/datasets/smic/citations?variants=smic-sub&amp;format=ris"
    assert link in page
    body = client.get(link.replace("&amp;", "&")).content.decode()
    assert body.count("TY  - ") == 2
