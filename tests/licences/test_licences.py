"""Licences and their members: invitation, click-through acceptance with the dataset's member
fields, the signer adding and removing members (a removal takes effect at once)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accord.agreements import services
from accord.audit.models import Event
from accord.core.errors import Conflict, DomainError, NotFound
from accord.licences import services as licences
from accord.licences.models import Licence, LicenceMember
from tests import factories
from tests.agreements.factories import signer_confirms, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(student, professor, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    services.application_decide(decision="approve", application=application, actor=ipcas_reviewer)
    return Licence.objects.get()


@pytest.fixture
def sam(db):
    return factories.UserFactory(email="sam@uni-example.edu", full_name="Sam Student")


def test_invited_member_accepts_terms_and_becomes_active(client, licence, sam):
    member = licence.members.get()
    client.force_login(sam)
    assert b"read and accept the terms" in client.get(reverse("agreements:my_applications")).content
    url = reverse("agreements:member_accept", args=[member.pk])
    page = client.get(url)
    assert b"C1" in page.content and b"REG-0007" in page.content
    response = client.post(url, {"accept": "1", "extra_registration_id": "REG-0007"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "active" and member.user == sam
    assert member.accepted_license_version == licence.license_version
    assert set(licence.active_members()) == {licence.signer, sam}


def test_acceptance_needs_the_tick_and_the_member_fields(client, licence, sam):
    member = licence.members.get()
    client.force_login(sam)
    url = reverse("agreements:member_accept", args=[member.pk])
    response = client.post(url, {"extra_registration_id": "REG-0007"}, follow=True)
    assert b"Tick the box to accept the terms" in response.content
    response = client.post(url, {"accept": "1", "extra_registration_id": ""}, follow=True)
    assert b"Fill in your Registration ID" in response.content
    member.refresh_from_db()
    assert member.status == "invited"


def test_unverified_address_cannot_accept(client, licence, sam):
    EmailAddress.objects.filter(user=sam).update(verified=False)
    client.force_login(sam)
    member = licence.members.get()
    assert client.get(reverse("agreements:member_accept", args=[member.pk])).status_code == 404
    with pytest.raises(NotFound):
        licences.licence_member_accept(member=member, actor=sam, extra={"registration_id": "R"})


def test_signer_removes_a_member_and_access_ends_at_once(client, licence, sam, professor):
    member = licence.members.get()
    licences.licence_member_accept(member=member, actor=sam, extra={"registration_id": "REG-0007"})
    client.force_login(professor)
    response = client.post(
        reverse("agreements:licence_member_remove", args=[licence.reference, member.pk])
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "removed" and member.removed_at is not None
    assert sam not in set(licence.active_members())
    assert Event.objects.filter(event_type="agreements:member:remove").exists()
    with pytest.raises(Conflict, match="withdrawn by the signer"):
        licences.licence_member_accept(member=member, actor=sam, extra={"registration_id": "R"})


def test_signer_adds_a_member_later_with_the_dataset_fields(client, licence, professor):
    client.force_login(professor)
    url = reverse("agreements:licence_detail", args=[licence.reference])
    page = client.get(url)
    assert b"Registration ID" in page.content
    response = client.post(
        url,
        {"full_name": "Kim Postdoc", "email": "kim@uni-example.edu", "extra_registration_id": "R9"},
    )
    assert response.status_code == 302
    added = licence.members.get(email="kim@uni-example.edu")
    assert added.status == LicenceMember.Status.INVITED and added.extra == {"registration_id": "R9"}
    with pytest.raises(Conflict, match="already a member"):
        licences.licence_member_add(
            licence=licence, actor=professor, full_name="Kim", email="kim@uni-example.edu",
            extra={"registration_id": "R9"},
        )  # fmt: skip
    with pytest.raises(DomainError, match=r"free personal|not a valid"):
        licences.licence_member_add(
            licence=licence, actor=professor, full_name="X", email="nope", extra={}
        )


def test_only_the_signer_manages_members(client, licence, student, sam):
    member = licence.members.get()
    for user in (student, sam):
        client.force_login(user)
        assert (
            client.get(reverse("agreements:licence_detail", args=[licence.reference])).status_code
            == 404
        )
        response = client.post(
            reverse("agreements:licence_member_remove", args=[licence.reference, member.pk])
        )
        assert response.status_code == 404
    member.refresh_from_db()
    assert member.status == "invited"


def test_a_licence_not_in_force_cannot_be_joined(licence, sam):
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.REVOKED)
    with pytest.raises(Conflict, match="not in force"):
        licences.licence_member_accept(
            member=licence.members.get(), actor=sam, extra={"registration_id": "R"}
        )
