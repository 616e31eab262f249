"""A download link works only with the credential it was issued to: a link copied to another
browser, or used without the API token that asked for it, is refused exactly like an unknown
link (and the attempt is audited). Issuing one takes a POST."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create, api_token_revoke
from accord.audit.models import Event
from accord.downloads.models import DownloadLink
from tests import factories
from tests.downloads.conftest import BIG, body

pytestmark = pytest.mark.django_db


def bearer(user, scope=ApiToken.Scope.READ) -> dict:
    return {
        "HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t', scope=scope).secret}"
    }


def api_link(client, data_file, auth) -> dict:
    response = client.post(reverse("api:issue_file_link", kwargs={"file_id": data_file.pk}), **auth)
    assert response.status_code == 200, response.content
    return response.json()


def browser_link(client, user, data_file) -> str:
    client.force_login(user)
    response = client.post(reverse("downloads:file_download", args=[data_file.pk]))
    assert response.status_code == 302
    return response["Location"]


def refusals(reason: str) -> int:
    return Event.objects.filter(event_type="downloads:file:refuse", details__reason=reason).count()


def test_browser_link_works_in_the_session_that_asked_for_it(client, licence, member, big_file):
    link = browser_link(client, member, big_file)
    assert body(client.get(link, HTTP_RANGE="bytes=0-9")) == BIG[:10]
    assert DownloadLink.objects.get().binding == "session"


def test_browser_link_copied_to_another_browser_is_refused_like_an_unknown_link(
    client, licence, member, big_file
):
    link = browser_link(client, member, big_file)
    unknown = Client().get("/downloads/d/" + "x" * 43 + "/")
    copied = Client().get(link)
    assert copied.status_code == unknown.status_code == 404
    assert copied.json() == unknown.json()
    assert "only in the browser session" in copied.json()["detail"]
    assert refusals("not-link-holder") == 1
    event = Event.objects.get(details__reason="not-link-holder")
    assert event.details["link"] == DownloadLink.objects.get().pk


def test_browser_link_is_refused_to_another_signed_in_user(
    client, licence, member, big_file, outsider
):
    link = browser_link(client, member, big_file)
    other = Client()
    other.force_login(outsider)
    assert other.get(link).status_code == 404
    # ...and to the member's own API token: the link belongs to the browser session.
    assert Client().get(link, **bearer(member)).status_code == 404
    event = Event.objects.filter(details__reason="not-link-holder").first()
    assert event.actor == outsider


def test_api_link_needs_the_token_that_asked_for_it(client, licence, member, big_file):
    auth = bearer(member)
    data = api_link(client, big_file, auth)
    assert data["binding"] == "token"
    assert client.get(data["url"], HTTP_RANGE="bytes=0-3", **auth).status_code == 206
    assert client.get(data["url"]).status_code == 404  # no token
    assert client.get(data["url"], **bearer(member)).status_code == 404  # another token
    assert client.get(data["url"], **bearer(factories.UserFactory())).status_code == 404
    assert client.get(data["url"], HTTP_AUTHORIZATION="Bearer acc_forged").status_code == 404
    assert refusals("not-link-holder") == 4


def test_api_link_dies_with_its_token(client, licence, member, big_file):
    issued = api_token_create(user=member, name="laptop")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    data = api_link(client, big_file, auth)
    api_token_revoke(token=issued.token, actor=member)
    assert client.get(data["url"], **auth).status_code == 404


def test_api_link_issued_to_a_browser_session_needs_that_session(client, licence, member, big_file):
    client.force_login(member)
    data = api_link(client, big_file, {})
    assert data["binding"] == "session"
    assert body(client.get(data["url"], HTTP_RANGE="bytes=0-1")) == BIG[:2]
    assert Client().get(data["url"]).status_code == 404


def test_issuing_a_link_from_a_session_needs_the_csrf_token(licence, member, big_file):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    url = reverse("api:issue_file_link", kwargs={"file_id": big_file.pk})
    assert browser.post(url).status_code in (401, 403)
    assert not DownloadLink.objects.exists()


def test_read_scoped_token_may_issue_a_link(client, licence, member, big_file):
    assert api_link(client, big_file, bearer(member, scope=ApiToken.Scope.READ))["url"]


def test_deprecated_get_still_issues_a_short_unbound_link_and_says_so(
    client, licence, member, big_file, settings
):
    settings.DOWNLOAD_LINK_TTL = 600
    url = reverse("api:file_link", kwargs={"file_id": big_file.pk})
    response = client.get(url, **bearer(member))
    assert response.status_code == 200
    assert response["Deprecation"].startswith("@")
    assert 'rel="successor-version"' in response["Link"]
    assert 'rel="deprecation"' in response["Link"]
    data = response.json()
    assert data["binding"] == "none"
    link = DownloadLink.objects.get()
    assert link.expires_at - timezone.now() <= timedelta(seconds=60)
    # An older client fetches without its token, as it always did.
    assert body(client.get(data["url"], HTTP_RANGE="bytes=0-1")) == BIG[:2]


def test_deprecated_get_refuses_a_browser_session(client, licence, member, big_file):
    """A cross-site link or image would carry the session cookie: a GET must not issue."""
    client.force_login(member)
    url = reverse("api:file_link", kwargs={"file_id": big_file.pk})
    assert client.get(url).status_code == 401
    assert not DownloadLink.objects.exists()


def test_openapi_schema_offers_post_and_marks_the_get_deprecated(client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = schema["paths"]["/api/v1/downloads/files/{file_id}/link"]
    assert "post" in operations
    assert operations["get"]["deprecated"] is True
    assert "segment_size" in schema["components"]["schemas"]["LinkOut"]["properties"]
