"""However access ends (member removed, licence revoked or expired, account deactivated),
nothing of the variant is reachable any more: the list, files, manifest, a new link, an old
link, a resumed range, through the API and the browser pages alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.accounts.models import ApiToken
from accord.licences.models import Licence
from tests.access.factories import remove_member
from tests.downloads.conftest import issue
from tests.roles import bearer


def _end(how: str, licence, member) -> None:
    if how == "removed":
        remove_member(licence, member, sync=False)
    elif how == "revoked":
        Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.REVOKED)
    elif how == "expired":
        Licence.objects.filter(pk=licence.pk).update(expires_at=timezone.now() - timedelta(1))
    elif how == "deactivated":
        type(member).objects.filter(pk=member.pk).update(is_active=False)


ENDINGS = ["removed", "revoked", "expired", "deactivated"]


@pytest.mark.parametrize("how", ENDINGS)
def test_api_shows_nothing_once_access_ended(client, licence, variant, member, how):
    auth = bearer(member, scope=ApiToken.Scope.READ)
    data_file = variant.files.get(path="small.txt")
    _end(how, licence, member)

    listed = client.get("/api/v1/downloads/variants", **auth)
    files = client.get(f"/api/v1/downloads/variants/{variant.slug}/files", **auth)
    manifest = client.get(f"/api/v1/downloads/variants/{variant.slug}/manifest", **auth)
    link = client.post(f"/api/v1/downloads/files/{data_file.pk}/link", **auth)

    if how == "deactivated":  # the token itself stops working
        assert {r.status_code for r in (listed, files, manifest, link)} == {401}
    else:
        assert listed.json() == []
        assert {r.status_code for r in (files, manifest, link)} == {404}


@pytest.mark.parametrize("how", ENDINGS)
def test_old_link_and_resumed_range_are_refused_once_access_ended(
    client, licence, variant, member, how
):
    path = issue(member, variant.files.get(path="small.txt"))
    assert client.get(path, HTTP_RANGE="bytes=0-3").status_code == 206
    _end(how, licence, member)

    resumed = client.get(path, HTTP_RANGE="bytes=4-")
    head = client.head(path)

    assert resumed.status_code == 403 and head.status_code == 403


@pytest.mark.parametrize("how", ["removed", "revoked", "expired"])
def test_browser_pages_show_nothing_once_access_ended(client, licence, variant, member, how):
    client.force_login(member)
    data_file = variant.files.get(path="small.txt")
    _end(how, licence, member)

    page = client.get(reverse("downloads:variant_files", args=[variant.slug]))
    manifest = client.get(reverse("downloads:variant_manifest", args=[variant.slug]))
    link = client.post(reverse("downloads:file_download", args=[data_file.pk]))

    assert {page.status_code, manifest.status_code, link.status_code} == {404}
