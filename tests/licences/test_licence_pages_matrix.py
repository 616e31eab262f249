"""The signer's licence pages and a person's invitation belong to them alone: members,
removed members, outsiders and even the custodian's own staff get 404 (not 403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.licences.models import LicenceMember
from tests import factories
from tests.access.factories import remove_member
from tests.roles import bearer


@pytest.fixture
def people(licence, member, custodian):
    removed = factories.UserFactory()
    from tests.access.factories import add_member

    add_member(licence, removed)
    remove_member(licence, removed)
    return {
        "member": member,
        "removed member": removed,
        "outsider": factories.UserFactory(),
        "custodian reviewer": factories.StaffFactory(custodian=custodian).user,
        "custodian admin": factories.StaffFactory(custodian=custodian, admin=True).user,
    }


@pytest.mark.parametrize(
    "who", ["member", "removed member", "outsider", "custodian reviewer", "custodian admin"]
)
def test_only_the_signer_reaches_the_licence(client, licence, people, who):
    user = people[who]
    row = licence.members.filter(status=LicenceMember.Status.ACTIVE).first()
    client.force_login(user)

    page = client.get(reverse("agreements:licence_detail", args=[licence.reference]))
    invite = client.post(
        reverse("agreements:licence_detail", args=[licence.reference]),
        {"full_name": "X", "email": "x@uni-example.edu"},
    )
    remove = client.post(
        reverse("agreements:licence_member_remove", args=[licence.reference, row.pk])
    )
    api = client.get(f"/api/v1/licences/{licence.reference}", **bearer(user))

    assert {page.status_code, invite.status_code, remove.status_code, api.status_code} == {404}
    assert not licence.members.filter(email="x@uni-example.edu").exists()


def test_someone_elses_invitation_is_404(client, licence, outsider):
    invitation = LicenceMember.objects.create(
        licence=licence, email="invited@uni-example.edu", full_name="Invited"
    )
    client.force_login(outsider)

    page = client.get(reverse("agreements:member_accept", args=[invitation.pk]))
    accept = client.post(
        reverse("agreements:member_accept", args=[invitation.pk]), {"accept": "on"}
    )
    api = client.post(
        f"/api/v1/memberships/{invitation.pk}/accept",
        {"accept": True},
        content_type="application/json",
        **bearer(outsider),
    )

    assert {page.status_code, accept.status_code, api.status_code} == {404}
    invitation.refresh_from_db()
    assert invitation.status == LicenceMember.Status.INVITED and invitation.user is None


def test_removed_member_cannot_rejoin_through_the_old_invitation(client, licence, member):
    remove_member(licence, member)
    row = licence.members.get(user=member)
    client.force_login(member)

    client.post(reverse("agreements:member_accept", args=[row.pk]), {"accept": "on"})

    row.refresh_from_db()
    assert row.status == LicenceMember.Status.REMOVED
    assert client.get("/api/v1/downloads/variants", **bearer(member)).json() == []
