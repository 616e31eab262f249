"""CITATION.cff and TERMS.md: generated for each licence and variant, listed with their
SHA-256 in the signed manifest, served under the same entitlement check as the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.urls import reverse

from accord.client.manifest import load_public_key, verify_document
from accord.downloads.signing import public_key_pem
from tests import factories
from tests.downloads.test_links import bearer

pytestmark = pytest.mark.django_db

CFF_SCHEMA = json.loads((Path(__file__).parent / "data" / "cff-1.2.0-schema.json").read_text())


@pytest.fixture
def cited(dataset, variant):
    dataset.citation_name = "SYNTH"
    dataset.citation_name_rule = "Publications must call the data “SYNTH”."
    dataset.save()
    base = factories.CitationFactory(
        dataset=dataset,
        key="base2020",
        position=0,
        csl={
            "type": "paper-conference",
            "title": "A Synthetic Database",
            "author": [{"family": "Pietikäinen", "given": "Matti"}],
            "container-title": "Proc. of Synthetic Things",
            "issued": {"date-parts": [[2020]]},
        },
    )
    extended = factories.CitationFactory(
        dataset=dataset,
        key="ext2022",
        position=1,
        doi="10.1109/TAFFC.2025.3575127",
        csl={
            "type": "article-journal",
            "title": "Extended: Reading Synthetic Data",
            "author": [
                {"family": "Li", "given": "Xiaobai"},
                {"family": "Zhao", "given": "Guoying"},
            ],
            "container-title": "IEEE Transactions on Affective Computing",
            "volume": "9",
            "issue": "4",
            "page": "563-577",
            "issued": {"date-parts": [[2022]]},
        },
    )
    extended.variants.set([variant])
    other = factories.VariantFactory(dataset=dataset, slug="other")
    factories.CitationFactory(dataset=dataset, key="other2019", csl={"title": "Other only"})
    dataset.citations.get(key="other2019").variants.set([other])
    return base, extended


@pytest.fixture
def clauses(licence):
    factories.ClauseFactory(license_version=licence.license_version, code="S1", position=0)
    factories.ClauseFactory(
        license_version=licence.license_version,
        code="S4",
        title="Cite the database",
        text="Every publication cites the papers.",
        position=1,
    )


def manifest(client, user) -> dict:
    response = client.get(reverse("api:get_manifest", kwargs={"slug": "smic-e"}), **bearer(user))
    assert response.status_code == 200
    return verify_document(response.content, load_public_key(public_key_pem()))


def api_document(client, user, name):
    url = reverse("api:get_document", kwargs={"slug": "smic-e", "name": name})
    return client.get(url, **bearer(user))


def test_manifest_lists_citation_and_terms_with_the_hash_of_what_is_served(
    client, licence, member, cited, clauses
):
    listed = manifest(client, member)["documents"]
    assert [d["path"] for d in listed] == ["CITATION.cff", "TERMS.md"]
    for entry in listed:
        served = api_document(client, member, entry["path"])
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() == entry["sha256"]
        assert len(served.content) == entry["size"]


def test_documents_are_the_same_bytes_on_every_request(client, licence, member, cited, clauses):
    first = manifest(client, member)["documents"]
    assert manifest(client, member)["documents"] == first


def test_citation_cff_is_valid_cff_1_2_0_with_the_required_papers(client, licence, member, cited):
    cff = yaml.safe_load(api_document(client, member, "CITATION.cff").content)
    jsonschema.validate(cff, CFF_SCHEMA)
    assert cff["cff-version"] == "1.2.0"
    assert cff["preferred-citation"]["title"] == "A Synthetic Database"
    assert [r["title"] for r in cff["references"]] == [
        "A Synthetic Database",
        "Extended: Reading Synthetic Data",
    ]
    extended = cff["references"][1]
    assert extended["journal"] == "IEEE Transactions on Affective Computing"
    assert (extended["start"], extended["end"], extended["doi"]) == (
        563,
        577,
        "10.1109/TAFFC.2025.3575127",
    )
    assert "“SYNTH”" in cff["message"]


def test_terms_summary_has_each_clause_and_how_to_cite(client, licence, member, cited, clauses):
    terms = api_document(client, member, "TERMS.md").content.decode()
    assert licence.reference in terms
    assert f"version {licence.license_version.version}" in terms
    assert "## S4. Cite the database" in terms
    assert "Every publication cites the papers." in terms
    assert "Publications must call the data “SYNTH”." in terms
    assert "Extended: Reading Synthetic Data" in terms
    assert "Other only" not in terms


def test_documents_are_refused_to_someone_not_entitled(client, licence, cited):
    stranger = factories.UserFactory()
    assert api_document(client, stranger, "CITATION.cff").status_code == 404
    client.force_login(stranger)
    url = reverse("downloads:variant_document", args=["smic-e", "CITATION.cff"])
    assert client.get(url).status_code == 404


def test_browser_user_gets_the_documents_from_the_variant_page(client, licence, member, cited):
    client.force_login(member)
    page = client.get(reverse("downloads:variant_files", args=["smic-e"])).content.decode()
    url = reverse("downloads:variant_document", args=["smic-e", "TERMS.md"])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="TERMS.md"'


def test_unknown_document_name_is_404(client, licence, member):
    client.force_login(member)
    url = reverse("downloads:variant_document", args=["smic-e", "passwd"])
    assert client.get(url).status_code == 404
