"""The demo catalogue as a visitor sees it: SMIC and CASMEMG, their terms, citations and
publishable subjects; loading twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accord.audit.models import Event
from accord.catalog.models import DataFile, Dataset, Variant


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # accord demo refuses to run on a production portal
    call_command("demo")


def test_demo_lists_both_datasets(client, demo):
    page = client.get("/datasets/").content.decode()
    assert "SMIC" in page and "CASMEMG" in page
    assert "University of Oulu" in page and "Chinese Academy of Sciences" in page


def test_smic_page_shows_variants_terms_citations_and_publishable_subjects(client, demo):
    response = client.get("/datasets/smic/")
    page = response.content.decode()
    for text in (
        "SMIC-sub",
        "SMIC-E",
        "S1",
        "S7",
        "No commercial use",
        "A Spontaneous Micro-expression Database",
        "Recognising spontaneous",
        "Towards Reading Hidden Emotions",
        "01, 03, 04, 06, 20",
        "Apply for access",
    ):
        assert text in page, text
    # file counts and sizes come from the ingested synthetic files
    for variant in response.context["variants"]:
        assert variant.file_count > 0 and variant.total_size > 0


def test_casmemg_page_names_the_dataset_rule_and_only_subject_07(client, demo):
    page = client.get("/datasets/casmemg/").content.decode()
    assert "10.1109/TAFFC.2025.3575127" in page
    assert "“CASMEMG”" in page
    assert '<span class="subjects">07</span>' in page


def test_bibtex_download_contains_every_required_entry(client, demo):
    response = client.get("/datasets/smic/citations.bib")
    assert response["Content-Type"].startswith("application/x-bibtex")
    body = response.content.decode()
    assert body.count("@") == 3
    assert "li2013smic" in body and "pfister2011recognising" in body and "li2018towards" in body


def test_demo_files_mirror_the_real_layouts(demo):
    smic = set(DataFile.objects.filter(variant__slug="smic").values_list("path", flat=True))
    assert {"HS/HS_annotations.csv", "VIS/VIS_annotations.csv", "NIR/NIR_annotations.csv"} <= smic
    assert any(p.startswith("HS/s1/micro/negative/s1_ne_01/") for p in smic)
    casmemg = set(DataFile.objects.filter(variant__slug="casmemg").values_list("path", flat=True))
    assert "CASMEMG_annotations.csv" in casmemg
    assert "emg/sub07/sub07_clip1_emg.csv" in casmemg
    total = sum(DataFile.objects.values_list("size", flat=True))
    assert 500_000 < total < 20_000_000  # a few MB in all


def test_demo_emg_has_seven_named_channels_at_1000_hz(demo, settings):
    path = settings.DATA_DIR / "demo-source" / "casmemg" / "emg" / "sub07" / "sub07_clip1_emg.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    assert header[0] == "time_s" and len(header) == 8
    assert "zygomaticus_major" in header and "depressor_anguli_oris" in header
    assert lines[2].split(",")[0] == "0.001"


def test_loading_the_demo_twice_changes_nothing(demo):
    counts = (
        Dataset.objects.count(),
        Variant.objects.count(),
        DataFile.objects.count(),
        Event.objects.count(),
    )
    hashes = sorted(DataFile.objects.values_list("sha256", flat=True))
    call_command("demo")
    assert (
        Dataset.objects.count(),
        Variant.objects.count(),
        DataFile.objects.count(),
        Event.objects.count(),
    ) == counts
    assert sorted(DataFile.objects.values_list("sha256", flat=True)) == hashes


def test_demo_accounts_can_sign_in(client, demo):
    from accord.demo.catalogue import DEMO_PASSWORD

    response = client.post(
        "/accounts/login/", {"login": "student@uni.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_demo_staff_can_complete_two_factor_sign_in_with_demo_code(client, demo, settings):
    import io

    from accord.demo.catalogue import DEMO_PASSWORD

    settings.DEBUG = True
    out = io.StringIO()
    response = client.post(
        "/accounts/login/", {"login": "reviewer@cmvs.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    call_command("demo_code", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
