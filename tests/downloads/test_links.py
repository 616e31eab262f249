"""Who gets a link, and when a link stops working."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.accounts.services import api_token_create
from accord.audit.models import Event, JournalEntry
from accord.downloads.models import DownloadLink
from tests import factories
from tests.access.factories import licence_for, remove_member, revoke_licence, variant_with_files
from tests.downloads.conftest import BIG, body, issue, issue_bound

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t').secret}"}


def test_revocation_between_two_range_requests_refuses_the_resume(
    client, licence, member, big_file
):
    link, auth = issue_bound(member, big_file)
    first = client.get(link, HTTP_RANGE="bytes=0-1048575", **auth)
    assert first.status_code == 206
    assert body(first) == BIG[:1048576]
    revoke_licence(licence, reason="breach of clause S2")
    resumed = client.get(link, HTTP_RANGE="bytes=1048576-", **auth)
    assert resumed.status_code == 403
    refusal = Event.objects.filter(event_type="downloads:file:refuse").last()
    assert refusal.details["reason"] == "revoked"
    assert refusal.details["range"] == "bytes=1048576-"
    # The refusal says where to look, not why: the reason may name a breach, and the
    # holder reads it on their own data page (and API), where only they can.
    assert "breach of clause S2" not in resumed.json()["detail"]
    assert "/access/" in resumed.json()["detail"]
    mine = client.get("/api/v1/access/entitlements", **auth).json()
    assert [e["revoke_reason"] for e in mine] == ["breach of clause S2"]
    client.force_login(member)
    assert "breach of clause S2" in client.get("/access/").content.decode()


def test_member_removed_by_signer_cannot_resume_even_before_sync(client, licence, member, big_file):
    link = issue(member, big_file)
    assert client.get(link, HTTP_RANGE="bytes=0-9").status_code == 206
    remove_member(licence, member, sync=False)
    assert client.get(link, HTTP_RANGE="bytes=10-").status_code == 403


def test_expired_link_is_refused_with_advice(client, licence, member, big_file, settings):
    link = issue(member, big_file)
    DownloadLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(link)
    assert response.status_code == 410
    assert "resumes" in response.json()["detail"]


def test_link_lives_for_the_configured_ttl(licence, member, big_file, settings):
    settings.DOWNLOAD_LINK_TTL = 60
    issue(member, big_file)
    link = DownloadLink.objects.get()
    assert timedelta(seconds=55) < link.expires_at - timezone.now() <= timedelta(seconds=60)
    assert len(link.secret_hash) == 64  # only the hash is stored


def test_unknown_link_is_404(client, db):
    assert client.get(reverse("downloads:serve", args=["nope"])).status_code == 404


def test_user_of_another_licence_gets_404(client, licence, dataset, tmp_path, big_file):
    other = licence_for(variants=[variant_with_files(dataset, tmp_path, {"o.bin": b"o"})])
    response = client.post(
        reverse("api:issue_file_link", kwargs={"file_id": big_file.pk}), **bearer(other.signer)
    )
    assert response.status_code == 404
    assert "ask its signer" in response.json()["detail"]
    client.force_login(other.signer)
    assert client.get(reverse("downloads:variant_files", args=["smic-e"])).status_code == 404
    assert client.post(reverse("downloads:file_download", args=[big_file.pk])).status_code == 404
    assert Event.objects.filter(event_type="downloads:file:refuse").count() == 2


def test_api_link_downloads_with_the_token_that_asked_for_it(client, licence, member, big_file):
    auth = bearer(member)
    response = client.post(reverse("api:issue_file_link", kwargs={"file_id": big_file.pk}), **auth)
    assert response.status_code == 200
    data = response.json()
    assert data["sha256"] == big_file.sha256
    assert data["size"] == len(BIG)
    assert data["binding"] == "token"
    download = client.get(data["url"], HTTP_RANGE="bytes=0-3", **auth)
    assert body(download) == BIG[:4]
    assert JournalEntry.objects.filter(
        event_type="downloads:link:issue", actor_id=member.pk
    ).exists()


def test_api_lists_only_entitled_variants_and_files(client, licence, member, outsider):
    listed = client.get(reverse("api:list_variants"), **bearer(member)).json()
    assert [v["slug"] for v in listed] == ["smic-e"]
    assert listed[0]["files"] == 3
    assert client.get(reverse("api:list_variants"), **bearer(outsider)).json() == []
    files = client.get(reverse("api:list_files", kwargs={"slug": "smic-e"}), **bearer(member))
    assert sorted(f["path"] for f in files.json()) == ["empty.dat", "small.txt", "video/big.bin"]
    refused = client.get(reverse("api:list_files", kwargs={"slug": "smic-e"}), **bearer(outsider))
    assert refused.status_code == 404


def test_api_needs_a_token(client, licence):
    response = client.get(reverse("api:list_variants"))
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_browser_flow_issues_a_link_and_redirects(client, licence, member, big_file):
    client.force_login(member)
    page = client.get(reverse("downloads:variant_files", args=["smic-e"]))
    assert page.status_code == 200
    assert b"video/big.bin" in page.content
    assert b"accord fetch smic-e" in page.content
    response = client.post(reverse("downloads:file_download", args=[big_file.pk]))
    assert response.status_code == 302
    assert body(client.get(response["Location"], HTTP_RANGE="bytes=-3")) == BIG[-3:]
    assert client.get(reverse("downloads:file_download", args=[big_file.pk])).status_code == 405


def test_refusal_page_for_browsers_says_what_to_do(client, licence, member, big_file):
    link = issue(member, big_file)
    revoke_licence(licence, reason="terms refused")
    response = client.get(link, HTTP_ACCEPT="text/html")
    assert response.status_code == 403
    assert b"contact your licence" in response.content
    # The reason is on the holder's own data page, not shown to whoever holds the URL.
    assert b"terms refused" not in response.content


def test_my_access_page_lists_current_and_ended(client, licence, member):
    client.force_login(member)
    page = client.get(reverse("access:my_access"))
    assert b"smic-e" in page.content
    remove_member(licence, member)
    page = client.get(reverse("access:my_access"))
    assert b"removed by the signer" in page.content
    assert b"You have no current data access" in page.content


def test_anonymous_is_sent_to_sign_in(client, licence):
    response = client.get(reverse("downloads:variant_files", args=["smic-e"]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_signer_without_member_row_is_entitled(client, licence, big_file):
    client.force_login(licence.signer)
    assert client.post(reverse("downloads:file_download", args=[big_file.pk])).status_code == 302


def test_outsider_cannot_use_someone_elses_link_owner_bound(client, licence, member, big_file):
    # The link is bound to the member: after the member's removal it is dead for everyone
    # holding it, whoever is signed in.
    link = issue(member, big_file)
    remove_member(licence, member)
    client.force_login(factories.UserFactory())
    assert client.get(link).status_code == 403


def test_revocation_cuts_a_transfer_in_progress(client, licence, member, big_file, settings):
    settings.DOWNLOAD_RECHECK_SECONDS = 0
    response = client.get(issue(member, big_file))
    stream = iter(response.streaming_content)
    received = len(next(stream))
    revoke_licence(licence, reason="consent withdrawn")
    received += sum(len(chunk) for chunk in stream)
    assert received < len(BIG)
    event = JournalEntry.objects.filter(event_type="downloads:file:interrupt").last()
    assert event.details["stopped_by_policy"] is True
    assert event.details["bytes"] == received


def test_revocation_stops_a_fast_transfer_within_the_byte_bound(
    client, licence, member, big_file, settings
):
    """However fast the link, a transfer never outruns a revocation by more than
    DOWNLOAD_RECHECK_BYTES, even when the time-based re-check is far off."""
    from accord.downloads.ranges import CHUNK_SIZE

    settings.DOWNLOAD_RECHECK_SECONDS = 3600
    settings.DOWNLOAD_RECHECK_BYTES = 2 * CHUNK_SIZE
    response = client.get(issue(member, big_file))
    stream = iter(response.streaming_content)
    before = len(next(stream))
    revoke_licence(licence, reason="consent withdrawn")
    after = sum(len(chunk) for chunk in stream)
    assert after <= settings.DOWNLOAD_RECHECK_BYTES
    assert before + after < len(BIG)
    event = JournalEntry.objects.filter(event_type="downloads:file:interrupt").last()
    assert event.details["stopped_by_policy"] is True
    assert event.details["bytes"] == before + after


def test_a_transfer_that_is_still_allowed_is_rechecked_and_completes(
    client, licence, member, big_file, settings
):
    from accord.downloads.ranges import CHUNK_SIZE

    settings.DOWNLOAD_RECHECK_BYTES = CHUNK_SIZE
    assert body(client.get(issue(member, big_file))) == BIG


def test_variant_list_takes_constant_queries(client, licence, member, dataset, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = bearer(member)
    url = reverse("api:list_variants")
    client.get(url, **headers)  # the token's first use also records last_used_at
    with CaptureQueriesContext(connection) as one:
        client.get(url, **headers)
    for i in range(3):
        extra = variant_with_files(dataset, tmp_path, {f"f{i}.bin": b"x"}, slug=f"extra-{i}")
        licence.variants.add(extra)
    from accord.access.services import entitlements_sync_for_licence

    entitlements_sync_for_licence(licence=licence)
    with CaptureQueriesContext(connection) as four:
        listed = client.get(url, **headers).json()
    assert len(listed) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
