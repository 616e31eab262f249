"""Revoking (and suspending, reinstating) a licence: data managers may, reviewers may not; a
reason is required; the signer and every member lose access at once, links already issued
included; they are told by email; the audit trail records it; a second revoke is refused."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.urls import reverse

from accord.accounts.models import ApiToken
from accord.audit.models import Event
from accord.core.errors import Conflict, DomainError, NotAllowed
from accord.licences.models import Licence
from accord.licences.services import licence_reinstate, licence_revoke, licence_suspend
from tests import factories
from tests.downloads import conftest as downloads
from tests.downloads.conftest import issue
from tests.roles import bearer

pytestmark = pytest.mark.django_db
# The downloads scenario: a variant with real files, a licence of ``custodian`` over it with one
# active member, and the signing key for download links.
variant = downloads.variant
member = downloads.member
licence = downloads.licence
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env
REASON = "Data shared outside the group (incident 2026-11)."


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


def _url(name: str, licence) -> str:
    return reverse(f"agreements:licence_{name}", args=[licence.reference])


def _post_revoke(client, licence, reason=REASON):
    return client.post(_url("revoke", licence), {"reason": reason}, follow=True)


def test_data_manager_revokes_from_the_licence_page(
    client, data_manager, licence, django_capture_on_commit_callbacks
):
    client.force_login(data_manager)
    with django_capture_on_commit_callbacks(execute=True):
        page = _post_revoke(client, licence)

    licence.refresh_from_db()
    assert licence.status == "revoked" and licence.ended_at is not None
    assert licence.end_reason == REASON
    assert "is now revoked" in page.content.decode()
    assert not licence.entitlements.filter(revoked_at__isnull=True).exists()


def test_reviewer_may_view_but_not_revoke(client, staff, licence):
    client.force_login(staff)

    assert client.get(_url("staff_detail", licence)).status_code == 200
    assert client.post(_url("revoke", licence), {"reason": REASON}).status_code == 404
    with pytest.raises(NotAllowed, match="data manager or administrator"):
        licence_revoke(licence=licence, actor=staff, reason=REASON)
    api = client.post(
        f"/api/v1/review/licences/{licence.reference}/revoke",
        {"reason": REASON},
        content_type="application/json",
    )
    assert api.status_code == 404
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_another_custodians_data_manager_cannot_revoke(client, other_custodian, licence):
    theirs = factories.StaffFactory(custodian=other_custodian, data_manager=True).user
    client.force_login(theirs)

    assert client.post(_url("revoke", licence), {"reason": REASON}).status_code == 404
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_revoke_requires_a_reason(client, data_manager, licence):
    client.force_login(data_manager)

    page = _post_revoke(client, licence, reason="   ")

    assert "Give the reason the licence is revoked" in page.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == "active"
    with pytest.raises(DomainError, match="Give the reason"):
        licence_revoke(licence=licence, actor=data_manager, reason="")


def test_after_revoke_links_ranges_manifest_and_api_refuse_the_member(
    client, data_manager, licence, variant, member
):
    auth = bearer(member, scope=ApiToken.Scope.READ)
    small = variant.files.get(path="small.txt")
    path = issue(member, small)
    assert client.get(path, HTTP_RANGE="bytes=0-3").status_code == 206
    assert client.get("/api/v1/downloads/variants", **auth).json() != []

    licence_revoke(licence=licence, actor=data_manager, reason=REASON)

    assert client.get(path, HTTP_RANGE="bytes=4-").status_code == 403
    assert client.get(path).status_code == 403
    manifest = client.get(f"/api/v1/downloads/variants/{variant.slug}/manifest", **auth)
    files = client.get(f"/api/v1/downloads/variants/{variant.slug}/files", **auth)
    assert manifest.status_code == 404 and files.status_code == 404
    assert client.get("/api/v1/downloads/variants", **auth).json() == []
    entitlements = client.get("/api/v1/access/entitlements", **auth).json()
    assert entitlements and not any(e["usable"] for e in entitlements)
    assert all(REASON in e["revoke_reason"] for e in entitlements)


def test_after_revoke_the_signer_loses_access_too(client, data_manager, licence, variant):
    path = issue(licence.signer, variant.files.get(path="small.txt"))

    licence_revoke(licence=licence, actor=data_manager, reason=REASON)

    assert client.get(path).status_code == 403
    client.force_login(licence.signer)
    manifest = client.get(reverse("downloads:variant_manifest", args=[variant.slug]))
    assert manifest.status_code == 404


def test_signer_and_each_member_are_emailed_with_the_reason(
    data_manager, licence, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        licence_revoke(licence=licence, actor=data_manager, reason=REASON)

    # The signer is also asked to confirm deleting the data (test_deletion_attestation.py).
    by_recipient = {m.to[0]: m for m in mail.outbox if "revoked" in m.subject}
    assert set(by_recipient) == {licence.signer.email, member.email}
    for message in by_recipient.values():
        assert "revoked" in message.subject and licence.reference in message.subject
        assert REASON in message.body
        assert message.reply_to == [licence.dataset.custodian.contact_email]
    assert "which you signed" in by_recipient[licence.signer.email].body


def test_no_email_when_the_revoke_is_refused(
    data_manager, licence, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        licence_revoke(licence=licence, actor=data_manager, reason="")
    assert mail.outbox == []


def test_revoke_is_in_the_audit_trail(data_manager, licence):
    licence_revoke(licence=licence, actor=data_manager, reason=REASON)

    event = Event.objects.get(event_type="agreements:licence:revoke")
    assert event.actor == data_manager and event.licence_id == licence.pk
    assert event.custodian_id == licence.dataset.custodian_id
    assert event.details["reason"] == REASON and event.details["source"] == "active"
    sync = Event.objects.filter(event_type="access:entitlement:sync", seq__gt=event.seq).get()
    assert sync.details["revoked"] and not sync.details["granted"]


def test_second_revoke_is_a_conflict(client, data_manager, licence):
    licence_revoke(licence=licence, actor=data_manager, reason=REASON)

    with pytest.raises(Conflict, match="already revoked"):
        licence_revoke(licence=licence, actor=data_manager, reason="again")
    client.force_login(data_manager)
    api = client.post(
        f"/api/v1/review/licences/{licence.reference}/revoke",
        {"reason": "again"},
        content_type="application/json",
    )
    assert api.status_code == 409 and "already revoked" in api.json()["detail"]
    assert Event.objects.filter(event_type="agreements:licence:revoke").count() == 1


def test_revoke_without_a_recent_sign_in_asks_to_reauthenticate(
    client, data_manager, licence, settings
):
    client.force_login(data_manager)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()

    response = client.post(_url("revoke", licence), {"reason": REASON})
    api = client.post(
        f"/api/v1/review/licences/{licence.reference}/revoke",
        {"reason": REASON},
        content_type="application/json",
    )

    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    assert api.status_code == 403 and "reauthenticate" in api.json()["detail"]
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_an_api_token_cannot_revoke(client, data_manager, licence):
    response = client.post(
        f"/api/v1/review/licences/{licence.reference}/revoke",
        {"reason": REASON},
        content_type="application/json",
        **bearer(data_manager),
    )

    assert response.status_code == 403 and "API token" in response.json()["detail"]
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_data_manager_revokes_through_the_api_from_a_fresh_session(client, data_manager, licence):
    client.force_login(data_manager)

    response = client.post(
        f"/api/v1/review/licences/{licence.reference}/revoke",
        {"reason": REASON},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "revoked" and response.json()["end_reason"] == REASON


def test_suspend_stops_access_and_reinstate_restores_it_with_new_links(
    client, data_manager, licence, variant, member
):
    small = variant.files.get(path="small.txt")
    old = issue(member, small)

    licence_suspend(licence=licence, actor=data_manager, reason="Checking a report.")
    assert client.get(old).status_code == 403
    licence_reinstate(licence=licence, actor=data_manager)

    assert Licence.objects.get(pk=licence.pk).status == "active"
    assert client.get(old).status_code == 403  # the old link stays dead
    assert client.get(issue(member, small)).status_code == 200


def test_a_revoked_licence_cannot_be_reinstated(data_manager, licence):
    licence_revoke(licence=licence, actor=data_manager, reason=REASON)

    with pytest.raises(Conflict, match="nothing more can be done"):
        licence_reinstate(licence=licence, actor=data_manager)
