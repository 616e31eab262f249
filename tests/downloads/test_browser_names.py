"""A browser saves every download in one folder: the name it is given keeps the file's
folders, so same-named files from different folders do not overwrite each other."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access.factories import licence_for, variant_with_files
from tests.downloads.conftest import issue

pytestmark = pytest.mark.django_db

SAME_NAMES = {"HS/s01/ep01_2.avi": b"first", "HS/s02/ep01_2.avi": b"second"}


@pytest.fixture
def two_same_named(dataset, tmp_path, member, signing_key_file):
    variant = variant_with_files(dataset, tmp_path, SAME_NAMES, slug="hs")
    licence_for(variants=[variant], members=[member])
    return variant.files.get(path="HS/s01/ep01_2.avi"), variant.files.get(path="HS/s02/ep01_2.avi")


def test_same_named_files_from_different_folders_download_under_different_names(
    client, member, two_same_named
):
    first, second = (client.get(issue(member, f))["Content-Disposition"] for f in two_same_named)

    assert 'filename="HS__s01__ep01_2.avi"' in first
    assert 'filename="HS__s02__ep01_2.avi"' in second


def test_nginx_hand_off_names_same_named_files_by_their_folders(
    client, member, two_same_named, settings
):
    settings.DOWNLOAD_BACKEND = "nginx"
    responses = [client.get(issue(member, f)) for f in two_same_named]

    assert all("X-Accel-Redirect" in r for r in responses)
    assert 'filename="HS__s01__ep01_2.avi"' in responses[0]["Content-Disposition"]
    assert 'filename="HS__s02__ep01_2.avi"' in responses[1]["Content-Disposition"]


def test_non_ascii_folder_and_name_travel_exactly_in_filename_star(
    client, dataset, tmp_path, member, signing_key_file
):
    variant = variant_with_files(dataset, tmp_path, {"受试者/视频.avi": b"x"}, slug="zh")
    licence_for(variants=[variant], members=[member])

    disposition = client.get(issue(member, variant.files.get()))["Content-Disposition"]

    assert "filename*=UTF-8''%E5%8F%97%E8%AF%95%E8%80%85__%E8%A7%86%E9%A2%91.avi" in disposition
    assert all(0x20 <= ord(c) < 0x7F for c in disposition)


def test_files_page_says_browser_names_keep_folders_and_fetch_keeps_the_layout(
    client, member, two_same_named
):
    client.force_login(member)

    page = client.get(
        reverse("downloads:variant_files", args=[two_same_named[0].variant.slug])
    ).content.decode()

    assert "HS__s01__ep01.avi" in page
    assert "keeps the folder layout" in page
