"""GET /api/v1/datasets/{slug}/citations: how to cite, public like the catalogue."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # accord demo refuses to run on a production portal
    call_command("demo")


def test_citations_for_chosen_variants_as_json(client, demo):
    body = client.get("/api/v1/datasets/smic/citations?variants=smic-sub,smic-e").json()
    assert [c["key"] for c in body] == ["li2013smic", "pfister2011recognising", "li2018towards"]
    assert body[2]["csl"]["container-title"] == "IEEE Transactions on Affective Computing"


def test_citations_as_bibtex_for_smic_e(client, demo):
    response = client.get("/api/v1/datasets/smic/citations?variants=smic-e&format=bibtex")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    body = response.content.decode()
    assert body.startswith("@inproceedings{li2013smic,")
    assert "@article{li2018towards," in body
    assert "pfister2011recognising" not in body


def test_citations_as_ris_and_csl_json(client, demo):
    ris = client.get("/api/v1/datasets/casmemg/citations?format=ris").content.decode()
    assert "TY  - JOUR" in ris and "DO  - 10.1109/TAFFC.2025.3575127" in ris
    csl = json.loads(client.get("/api/v1/datasets/casmemg/citations?format=csl-json").content)
    assert csl[0]["id"] == "li2025casmemg" and csl[0]["DOI"] == "10.1109/TAFFC.2025.3575127"


def test_citation_text_starts_with_the_naming_rule(client, demo):
    body = client.get("/api/v1/datasets/casmemg/citations?format=text").content.decode()
    assert body.startswith("Publications must call the data “CASMEMG”")
    assert "Could Micro-Expressions be Quantified?" in body


def test_unknown_variant_is_a_404_that_names_it(client, demo):
    response = client.get("/api/v1/datasets/smic/citations?variants=smic-x")
    assert response.status_code == 404
    assert "smic-x" in response.json()["detail"]


def test_unknown_format_is_refused(client, demo):
    response = client.get("/api/v1/datasets/smic/citations?format=docx")
    assert response.status_code == 422
