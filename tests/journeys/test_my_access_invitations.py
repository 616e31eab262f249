"""After approval, "Your data access" tells an invited student what to do before any data
appears: accept the invitation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.licences.models import Licence, LicenceMember
from tests.access.factories import licence_for

pytestmark = pytest.mark.django_db


def _invite(licence, person) -> LicenceMember:
    return LicenceMember.objects.create(
        licence=licence, email=person.email, full_name=person.full_name
    )


def test_invited_student_sees_the_invitation_and_how_to_accept_it(
    client, student, professor, variant
):
    licence = licence_for(variants=[variant], signer=professor)
    invitation = _invite(licence, student)
    client.force_login(student)
    page = client.get(reverse("access:my_access")).content.decode()
    assert licence.reference in page
    assert reverse("agreements:member_accept", args=[invitation.pk]) in page
    assert "accept the invitation" in page
    assert "You have no data access yet" not in page


def test_invitation_on_a_revoked_licence_is_not_offered(client, student, professor, variant):
    licence = licence_for(variants=[variant], signer=professor, status=Licence.Status.REVOKED)
    invitation = _invite(licence, student)
    client.force_login(student)
    page = client.get(reverse("access:my_access")).content.decode()
    assert reverse("agreements:member_accept", args=[invitation.pk]) not in page
    assert "You have no data access yet" in page
