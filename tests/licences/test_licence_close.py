"""The signer closes their licence before its term: access ends at once for the whole group
(links already issued included), the members are told, deletion is requested, and the signer
may then erase their personal data. Only the signer may, with the reference typed and a recent
sign-in; closing twice closes once."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.urls import reverse

from accord.accounts.services_privacy import erasure_refusal
from accord.audit.models import Event
from accord.core.errors import DomainError, NotFound
from accord.licences.models import DeletionAttestation, Licence
from accord.licences.services import licence_close
from tests.downloads import conftest as downloads
from tests.downloads.conftest import body, issue

pytestmark = pytest.mark.django_db
variant = downloads.variant
member = downloads.member
licence = downloads.licence
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _url(licence) -> str:
    return reverse("agreements:licence_close", args=[licence.reference])


def test_signer_closes_and_the_members_link_stops_working(
    client, licence, variant, member, django_capture_on_commit_callbacks
):
    small = variant.files.get(path="small.txt")
    path = issue(member, small)
    assert client.get(path, HTTP_RANGE="bytes=0-3").status_code == 206
    client.force_login(licence.signer)

    page = client.get(_url(licence))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            _url(licence),
            {"confirmation": licence.reference, "reason": "The project ended."},
            follow=True,
        )

    licence.refresh_from_db()
    assert "cannot be undone" in page.content.decode()
    assert licence.status == Licence.Status.CLOSED and licence.ended_at is not None
    assert f"Licence {licence.reference} is closed" in done.content.decode()
    assert not licence.entitlements.filter(revoked_at__isnull=True).exists()
    client.logout()
    assert client.get(path, HTTP_RANGE="bytes=4-").status_code == 403
    assert {m.to[0] for m in mail.outbox} == {licence.signer.email, member.email}
    assert any("The project ended." in m.body for m in mail.outbox)


def test_closing_asks_the_signer_to_attest_deletion(client, licence, variant, member):
    body(client.get(issue(member, variant.files.get(path="small.txt"))))

    licence_close(licence=licence, actor=licence.signer, confirmation=licence.reference)

    asked = DeletionAttestation.objects.get(licence=licence, user=licence.signer)
    assert asked.reason == DeletionAttestation.Reason.CLOSED
    assert [f.path for f in asked.files.all()] == ["small.txt"]


def test_wrong_reference_closes_nothing(client, licence):
    client.force_login(licence.signer)

    page = client.post(_url(licence), {"confirmation": "yes"}, follow=True)

    assert "to confirm that you end it" in page.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.ACTIVE
    with pytest.raises(DomainError):
        licence_close(licence=licence, actor=licence.signer, confirmation="")


def test_a_member_cannot_close_the_licence(client, licence, member):
    client.force_login(member)

    assert client.get(_url(licence)).status_code == 404
    assert client.post(_url(licence), {"confirmation": licence.reference}).status_code == 404
    with pytest.raises(NotFound):
        licence_close(licence=licence, actor=member, confirmation=licence.reference)
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.ACTIVE


def test_closing_twice_closes_once(licence):
    licence_close(licence=licence, actor=licence.signer, confirmation=licence.reference)
    licence_close(licence=licence, actor=licence.signer, confirmation=licence.reference)

    events = Event.objects.filter(event_type="agreements:licence:close", licence_id=licence.pk)
    assert events.count() == 1
    assert DeletionAttestation.objects.filter(licence=licence).count() == 1


def test_close_without_a_recent_sign_in_asks_to_reauthenticate(client, licence, settings):
    client.force_login(licence.signer)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()

    response = client.post(_url(licence), {"confirmation": licence.reference})

    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.ACTIVE


def test_a_signer_who_closed_their_licence_may_erase_their_data(licence):
    assert "Close it first" in erasure_refusal(licence.signer)

    licence_close(licence=licence, actor=licence.signer, confirmation=licence.reference)

    assert erasure_refusal(licence.signer) is None


def test_the_licence_page_offers_closing_to_the_signer(client, licence):
    client.force_login(licence.signer)

    page = client.get(reverse("agreements:licence_detail", args=[licence.reference]))

    assert _url(licence) in page.content.decode()
